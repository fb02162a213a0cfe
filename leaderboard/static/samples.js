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
  function contentPart(part) {
    if (part && part.type === "text") return el("pre", "text", asText(part.text));
    var image = part && part.type === "image_url" ? part.image_url : null;
    if (image && typeof image.site_path === "string" && PUBLISHED.test(image.site_path)) {
      var img = el("img", "attachment");
      img.alt = "image shown to the model";
      img.loading = "lazy";
      img.src = config.root + image.site_path;
      return img;
    }
    return el("pre", "text", "[" + asText(part && part.type) + "] " + asText(part && (part.image_url || part.input_audio || "")));
  }
  function messages(parent, msgs) {
    if (!msgs || !msgs.length) return;
    var wrap = el("div", "field messages");
    wrap.appendChild(el("div", "label", "prompt (messages)"));
    msgs.forEach(function (m) {
      var row = el("div", "msg");
      row.appendChild(el("span", "role", asText(m.role)));
      if (Array.isArray(m.content)) {
        var parts = el("div", "parts");
        m.content.forEach(function (part) { parts.appendChild(contentPart(part)); });
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
  function render(n) {
    var records = chunks[n] || [];
    var q = filterInput.value.trim().toLowerCase();
    box.replaceChildren();
    var shown = 0;
    records.forEach(function (r, i) {
      if (q && String(r.id).toLowerCase().indexOf(q) < 0) return;
      shown++;
      var art = el("article", "sample");
      var head = el("h2", "sample-id");
      head.textContent = "#" + ((n - 1) * config.pageSize + i + 1) + " · id " + asText(r.id) + (r.cached ? " · cached" : "");
      art.appendChild(head);
      messages(art, r.messages);
      field(art, "response", r.response, "response");
      if (r.prediction !== undefined && asText(r.prediction) !== asText(r.response)) field(art, "extracted answer", r.prediction, "prediction");
      field(art, "reference", r.reference, "reference");
      metricsTable(art, r.metrics);
      field(art, "judge verdicts", r.judges, "judges");
      field(art, "turns", r.turns, "turns");
      field(art, "error", r.error, "error");
      box.appendChild(art);
    });
    status.textContent = "Page " + n + " of " + config.pages + " · " + shown + " of " + records.length + " samples shown" +
      (q ? " (filtered on this page)" : "");
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
    load(n, function () { if (current === n) render(n); });
  }
  document.getElementById("prev").addEventListener("click", function () { go(current - 1); });
  document.getElementById("next").addEventListener("click", function () { go(current + 1); });
  pageInput.addEventListener("change", function () { go(parseInt(pageInput.value, 10) || 1); });
  filterInput.addEventListener("input", function () { render(current); });
  function fromHash() {
    var m = /^#p=(\d+)$/.exec(location.hash);
    return m ? parseInt(m[1], 10) : 1;
  }
  window.addEventListener("hashchange", function () { if (fromHash() !== current) go(fromHash()); });
  go(fromHash());
})();
