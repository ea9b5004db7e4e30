/* Tables marked data-sortable (latency, threads): a click on a column's head
 * (or Enter on it) sorts the rows by it, again for the other way. Cells
 * with data-v sort by that number, others by their text. */
(function () {
  "use strict";
  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) return "";
    var v = cell.getAttribute("data-v");
    return v === null ? cell.textContent.toLowerCase() : Number(v);
  }
  function sortBy(table, th) {
    var col = th.cellIndex;
    var down = th.getAttribute("aria-sort") !== "descending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", down ? "descending" : "ascending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return down ? -c : c;
    });
    for (var r = 0; r < rows.length; r++) body.appendChild(rows[r]);
  }
  var tables = document.querySelectorAll("table[data-sortable]");
  for (var t = 0; t < tables.length; t++) {
    (function (table) {
      var heads = table.tHead.rows[0].cells;
      for (var i = 0; i < heads.length; i++) {
        var th = heads[i];
        th.setAttribute("data-sort", "");
        th.tabIndex = 0;
        th.addEventListener("click", function () { sortBy(table, this); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, this); }
        });
      }
    })(tables[t]);
  }
})();
