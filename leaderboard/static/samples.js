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
  var rangeMetric = document.getElementById("range-metric");
  var rangeMin = document.getElementById("range-min");
  var rangeMax = document.getElementById("range-max");
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
  // a per-sample score as the tables show numbers (layout.fmt): not a raw float
  function fmt(v) {
    if (typeof v !== "number" || !isFinite(v)) return asText(v);
    var a = Math.abs(v);
    if (a > 0 && a < 0.00005) return v.toExponential(1);
    if (a >= 1000) return Math.round(v).toLocaleString("en-US");
    return v.toFixed(a >= 100 ? 1 : a >= 10 ? 2 : a >= 1 ? 3 : 4);
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
        v && typeof v === "object" && "unscored" in v ? "unscored: " + asText(v.unscored) : fmt(v));
      if (typeof v === "number") td.title = String(v);
      tr.appendChild(td);
      body.appendChild(tr);
    });
    t.appendChild(body);
    var wrap = el("div", "field");
    wrap.appendChild(el("div", "label", "metrics"));
    wrap.appendChild(t);
    parent.appendChild(wrap);
  }
  // the item view the build linked this sample to (checked: nothing else becomes a link)
  var ITEM = /^items\/[A-Za-z0-9_.\-]+\/p[0-9]{4}\.html#i-[A-Za-z0-9_.\-]+$/;
  var SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  var SERIES = [["context", "context"], ["truth", "truth"], ["prediction", "prediction"]];
  // one lead's forecast, from the geometry the build computed (charts.forecast_plot): numbers only
  function forecastChart(plot, sampleId) {
    var b = plot.box, left = b[0], top = b[1], w = b[2], h = b[3], bottom = top + h;
    var svg = svgEl("svg", { "class": "chart forecast", role: "img", viewBox: "0 0 " + plot.width + " " + plot.height,
      width: plot.width, height: plot.height });
    svg.appendChild(svgEl("title", {}, "sample " + asText(sampleId) + ": lead " + asText(plot.lead)));
    svg.appendChild(svgEl("line", { x1: left, y1: bottom, x2: left + w, y2: bottom, "class": "axis" }));
    svg.appendChild(svgEl("line", { x1: left, y1: top, x2: left, y2: bottom, "class": "axis" }));
    svg.appendChild(svgEl("line", { x1: plot.split, y1: top, x2: plot.split, y2: bottom, "class": "grid" }));
    svg.appendChild(svgEl("text", { x: left - 4, y: top + 8, "text-anchor": "end", "class": "tick" }, asText(plot.y[0])));
    svg.appendChild(svgEl("text", { x: left - 4, y: bottom, "text-anchor": "end", "class": "tick" }, asText(plot.y[1])));
    var last = plot.x[plot.x.length - 1] || 1;
    ["start", "middle", "end"].forEach(function (anchor, k) {
      svg.appendChild(svgEl("text", { x: left + plot.x[k] / last * w, y: bottom + 13, "text-anchor": anchor, "class": "tick" },
        asText(plot.x[k])));
    });
    svg.appendChild(svgEl("text", { x: left + w / 2, y: plot.height - 4, "text-anchor": "middle", "class": "label" }, "sample index"));
    svg.appendChild(svgEl("text", { x: 12, y: top + h / 2, "text-anchor": "middle", "class": "label",
      transform: "rotate(-90 12 " + (top + h / 2) + ")" }, asText(plot.lead) + " (standardised)"));
    SERIES.forEach(function (s, k) {
      var x = left + k * 150;
      svg.appendChild(svgEl("line", { x1: x, y1: 10, x2: x + 18, y2: 10, "class": "series-" + s[0] }));
      svg.appendChild(svgEl("text", { x: x + 22, y: 14, "class": "label" }, s[1]));
      var pts = plot.lines[s[0]];
      if (typeof pts === "string" && /^[0-9., -]+$/.test(pts) && pts) svg.appendChild(svgEl("polyline", { points: pts, "class": "series-" + s[0] }));
    });
    return svg;
  }
  function card(r, number) {
    var art = el("article", "sample");
    var head = el("h2", "sample-id");
    head.appendChild(document.createTextNode("#" + number + " · id "));
    if (typeof r.item === "string" && ITEM.test(r.item)) {
      var link = el("a", "item-link", asText(r.id));
      link.href = config.root + r.item;
      link.title = "every model's answer on this item";
      head.appendChild(link);
    } else {
      head.appendChild(document.createTextNode(asText(r.id)));
    }
    if (r.cached) head.appendChild(document.createTextNode(" · cached"));
    art.appendChild(head);
    messages(art, r.messages, r.id);
    field(art, "response", r.response, "response");
    if (Array.isArray(r.forecast) && r.forecast.length) {
      var fig = el("div", "field forecast");
      fig.appendChild(el("div", "label", "forecast (context, truth, prediction)"));
      r.forecast.forEach(function (plot) { fig.appendChild(forecastChart(plot, r.id)); });
      art.appendChild(fig);
    } else {
      if (r.prediction !== undefined && asText(r.prediction) !== asText(r.response)) field(art, "extracted answer", r.prediction, "prediction");
      field(art, "reference", r.reference, "reference");
    }
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
    if (rangeMetric.value && !inRange(score(r, rangeMetric.value))) return false;
    if (!q) return true;
    var hay = [r.id, r.response, r.prediction, r.reference].map(asText).join("\n").toLowerCase();
    return hay.indexOf(q) >= 0;
  }
  function score(r, metric) {
    var v = (r.metrics || {})[metric];
    return typeof v === "number" ? v : (v === true ? 1 : (v === false ? 0 : null));
  }
  function bound(input) {
    var v = input.value.trim() === "" ? NaN : Number(input.value);
    return isNaN(v) ? null : v;
  }
  function inRange(v) {
    // a score range keeps the samples scored on the chosen metric within [from, to] (an empty end is open)
    if (v === null) return false;
    var lo = bound(rangeMin), hi = bound(rangeMax);
    return (lo === null || v >= lo) && (hi === null || v <= hi);
  }
  function render(n) {
    var records = chunks[n] || [];
    box.replaceChildren();
    records.forEach(function (r, i) { box.appendChild(card(r, (n - 1) * config.pageSize + i + 1)); });
    status.textContent = "Page " + n + " of " + config.pages + " · " + records.length + " samples";
  }
  function searching() { return filterInput.value.trim() || statusFilter.value || sortSelect.value || rangeMetric.value; }
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
  rangeMetric.addEventListener("change", update);
  rangeMin.addEventListener("input", update);
  rangeMax.addEventListener("input", update);
  function fromHash() {
    var m = /^#p=(\d+)$/.exec(location.hash);
    return m ? parseInt(m[1], 10) : 1;
  }
  window.addEventListener("hashchange", function () { if (fromHash() !== current) go(fromHash()); });
  go(fromHash());
})();
