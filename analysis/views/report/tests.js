/* The tests section: show tests by status (the count badges are
 * checkboxes) and by a search of names and messages. */
(function () {
  "use strict";
  var table = document.getElementById("tests-table");
  if (!table) return;
  var rows = table.tBodies[0].rows;
  var boxes = document.querySelectorAll(".tests-filters input[type=checkbox]");
  var search = document.getElementById("tests-search");
  var shown = document.getElementById("tests-shown");

  function apply() {
    var on = {};
    for (var i = 0; i < boxes.length; i++)
      on[boxes[i].getAttribute("data-status")] = boxes[i].checked;
    var needle = search.value.toLowerCase();
    var count = 0;
    for (var r = 0; r < rows.length; r++) {
      var row = rows[r];
      var show = on[row.getAttribute("data-status")] !== false &&
          (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0);
      row.hidden = !show;
      count += show;
    }
    shown.textContent = needle || count !== rows.length ? " " + count + " shown" : "";
  }
  for (var i = 0; i < boxes.length; i++) boxes[i].addEventListener("change", apply);
  search.addEventListener("input", apply);
})();
