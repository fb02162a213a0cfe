// Sortable tables: click a header to sort its column (best first), click again to reverse.
// Sort keys come from data-sort attributes written by the builder; rows are only reordered.
(function () {
  "use strict";
  function key(row, col, type) {
    var cell = row.cells[col];
    var raw = cell ? cell.getAttribute("data-sort") : null;
    if (raw === null || raw === "") return null;
    if (type === "number") { var x = parseFloat(raw); return isNaN(x) ? null : x; }
    return raw.toLowerCase();
  }
  function sortBy(table, th) {
    var col = parseInt(th.getAttribute("data-col"), 10);
    var type = th.getAttribute("data-type") || "number";
    var hib = th.getAttribute("data-hib") !== "false";
    var current = th.getAttribute("aria-sort");
    // first click: best first (descending when higher is better; ascending text)
    var firstDesc = type === "number" ? hib : false;
    var desc = current === null || current === "none" ? firstDesc : current === "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var ka = key(a, col, type), kb = key(b, col, type);
      if (ka === null && kb === null) return 0;
      if (ka === null) return 1;   // missing values always last
      if (kb === null) return -1;
      if (ka < kb) return desc ? 1 : -1;
      if (ka > kb) return desc ? -1 : 1;
      return 0;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.querySelectorAll("th.sort"), function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", desc ? "descending" : "ascending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.querySelectorAll("thead th.sort"), function (th) {
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th); } });
    });
  });
})();
