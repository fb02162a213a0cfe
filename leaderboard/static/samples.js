// Sample browser. Pages of samples live in p0001.js, p0002.js, ... beside the page; each calls
// LB.receiveChunk(n, records). Script tags load on file:// where fetch() of JSON does not.
// Every value from a run is untrusted: it is only ever placed with textContent.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("lb-config").textContent);
  var chunks = {};
  var waiting = {};
  var current = 1;
  var box = document.getElementById("samples");
  var status = document.getElementById("status");
  var pageInput = document.getElementById("page");
  var filterInput = document.getElementById("filter");
  var statusFilter = document.getElementById("status-filter");
  var sortSelect = document.getElementById("sort");
  var MAX_SHOWN = 200;  // a search over every page shows this many matches at most

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function asText(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "string") return v;
    return JSON.stringify(v, null, 2);
  }
  function field(parent, label, value, cls) {
    if (value === null || value === undefined || value === "" ||
        (typeof value === "object" && Object.keys(value).length === 0)) return;
    var wrap = el("div", "field " + (cls || ""));
    wrap.appendChild(el("div", "label", label));
    wrap.appendChild(el("pre", "text", asText(value)));
    parent.appendChild(wrap);
  }
  // an image the build published (name = its sha256, checked at build time); nothing else becomes an <img>
  var PUBLISHED = /^attachments\/[0-9a-f]{64}\.(png|jpg|gif|webp)$/;
  function contentPart(part, sampleId) {
    if (part && part.type === "text") return el("pre", "text", asText(part.text));
    var image = part && part.type === "image_url" ? part.image_url : null;
    if (image && typeof image.site_path === "string" && PUBLISHED.test(image.site_path)) {
      var img = el("img", "attachment");
      img.alt = "ECG image shown to the model: task " + config.task + ", sample " + asText(sampleId) +
        (config.modality ? ", modality " + config.modality : "");
      img.loading = "lazy";
      img.src = config.root + image.site_path;
      return img;
    }
    return el("pre", "text", "[" + asText(part && part.type) + "] " + asText(part && (part.image_url || part.input_audio || "")));
  }
  function messages(parent, msgs, sampleId) {
    if (!msgs || !msgs.length) return;
    var wrap = el("div", "field messages");
    wrap.appendChild(el("div", "label", "prompt (messages)"));
    msgs.forEach(function (m) {
      var row = el("div", "msg");
      row.appendChild(el("span", "role", asText(m.role)));
      if (Array.isArray(m.content)) {
        var parts = el("div", "parts");
        m.content.forEach(function (part) { parts.appendChild(contentPart(part, sampleId)); });
        row.appendChild(parts);
      } else {
        row.appendChild(el("pre", "text", asText(m.content)));
      }
      wrap.appendChild(row);
    });
    parent.appendChild(wrap);
  }
  function metricsTable(parent, metrics) {
    var names = Object.keys(metrics || {});
    if (!names.length) return;
    var t = el("table", "kv compact");
    var body = el("tbody");
    names.forEach(function (name) {
      var tr = el("tr");
      tr.appendChild(el("th", null, name));
      var v = metrics[name];
      var td = el("td", v && typeof v === "object" && "unscored" in v ? "unscored" : null,
        v && typeof v === "object" && "unscored" in v ? "unscored: " + asText(v.unscored) : asText(v));
      tr.appendChild(td);
      body.appendChild(tr);
    });
    t.appendChild(body);
    var wrap = el("div", "field");
    wrap.appendChild(el("div", "label", "metrics"));
    wrap.appendChild(t);
    parent.appendChild(wrap);
  }
  function card(r, number) {
    var art = el("article", "sample");
    var head = el("h2", "sample-id");
    head.textContent = "#" + number + " · id " + asText(r.id) + (r.cached ? " · cached" : "");
    art.appendChild(head);
    messages(art, r.messages, r.id);
    field(art, "response", r.response, "response");
    if (r.prediction !== undefined && asText(r.prediction) !== asText(r.response)) field(art, "extracted answer", r.prediction, "prediction");
    field(art, "reference", r.reference, "reference");
    metricsTable(art, r.metrics);
    field(art, "judge verdicts", r.judges, "judges");
    field(art, "turns", r.turns, "turns");
    field(art, "error", r.error, "error");
    return art;
  }
  function unscored(v) { return v && typeof v === "object" && "unscored" in v; }
  function matches(r, q, kind) {
    var values = Object.keys(r.metrics || {}).map(function (k) { return r.metrics[k]; });
    if (kind === "error" && !r.error) return false;
    if (kind === "unscored" && !values.some(unscored)) return false;
    if (kind === "wrong" && !values.some(function (v) { return v === 0 || v === false; })) return false;
    if (!q) return true;
    var hay = [r.id, r.response, r.prediction, r.reference].map(asText).join("\n").toLowerCase();
    return hay.indexOf(q) >= 0;
  }
  function score(r, metric) {
    var v = (r.metrics || {})[metric];
    return typeof v === "number" ? v : (v === true ? 1 : (v === false ? 0 : null));
  }
  function render(n) {
    var records = chunks[n] || [];
    box.replaceChildren();
    records.forEach(function (r, i) { box.appendChild(card(r, (n - 1) * config.pageSize + i + 1)); });
    status.textContent = "Page " + n + " of " + config.pages + " · " + records.length + " samples";
  }
  function searching() { return filterInput.value.trim() || statusFilter.value || sortSelect.value; }
  function renderAll() {
    // every page's records, filtered and sorted, then the first MAX_SHOWN of them
    var q = filterInput.value.trim().toLowerCase(), kind = statusFilter.value, sort = sortSelect.value;
    var found = [];
    for (var n = 1; n <= config.pages; n++) {
      (chunks[n] || []).forEach(function (r, i) {
        if (matches(r, q, kind)) found.push({ r: r, number: (n - 1) * config.pageSize + i + 1 });
      });
    }
    if (sort) {
      var parts = sort.split("|"), metric = parts[0], sign = parts[1] === "desc" ? -1 : 1;
      found.sort(function (a, b) {
        var x = score(a.r, metric), y = score(b.r, metric);
        if (x === null) return 1;
        if (y === null) return -1;
        return sign * (x - y) || a.number - b.number;
      });
    }
    box.replaceChildren();
    found.slice(0, MAX_SHOWN).forEach(function (hit) { box.appendChild(card(hit.r, hit.number)); });
    status.textContent = found.length + " of " + config.records + " samples match across all " + config.pages +
      " pages" + (found.length > MAX_SHOWN ? " (first " + MAX_SHOWN + " shown)" : "");
  }
  function loadAll(then) {
    var left = config.pages;
    status.textContent = "Searching all " + config.pages + " pages…";
    for (var n = 1; n <= config.pages; n++) load(n, function () { if (--left === 0) then(); });
  }
  function update() {
    if (searching()) loadAll(function () { if (searching()) renderAll(); });
    else go(current);
  }
  function load(n, then) {
    if (chunks[n]) { then(); return; }
    if (waiting[n]) { waiting[n].push(then); return; }
    waiting[n] = [then];
    var s = document.createElement("script");
    s.src = "p" + String(n).padStart(4, "0") + ".js";
    s.onerror = function () { status.textContent = "Could not load page " + n + "."; };
    document.body.appendChild(s);
  }
  window.LB = {
    receiveChunk: function (n, records) {
      chunks[n] = records;
      (waiting[n] || []).forEach(function (f) { f(); });
      delete waiting[n];
    }
  };
  function go(n) {
    n = Math.max(1, Math.min(config.pages, n | 0));
    current = n;
    pageInput.value = n;
    if (location.hash !== "#p=" + n) history.replaceState(null, "", "#p=" + n);
    status.textContent = "Loading page " + n + "…";
    load(n, function () { if (current === n && !searching()) render(n); });
  }
  document.getElementById("prev").addEventListener("click", function () { go(current - 1); });
  document.getElementById("next").addEventListener("click", function () { go(current + 1); });
  pageInput.addEventListener("change", function () { go(parseInt(pageInput.value, 10) || 1); });
  filterInput.addEventListener("input", update);
  statusFilter.addEventListener("change", update);
  sortSelect.addEventListener("change", update);
  function fromHash() {
    var m = /^#p=(\d+)$/.exec(location.hash);
    return m ? parseInt(m[1], 10) : 1;
  }
  window.addEventListener("hashchange", function () { if (fromHash() !== current) go(fromHash()); });
  go(fromHash());
})();
