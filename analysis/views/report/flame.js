/* The blocking profiles' flame graphs (report_profiles.c): a click on a
 * frame zooms into it (its ancestors widen to the whole graph, their other
 * children hide); a click on a frame already at full width zooms out to its
 * parent. The search box marks the frames whose function matches and says
 * what share of each profile they hold (frames under a marked one are not
 * counted twice). */
(function () {
  "use strict";
  var graphs = document.querySelectorAll(".profiles-fg");
  if (!graphs.length) return;

  function frameOf(el) { return el && el.closest ? el.closest("li") : null; }
  function parentFrame(li) { return frameOf(li.parentElement); }

  function reset(graph) {
    var hidden = graph.querySelectorAll(".profiles-hide");
    for (var i = 0; i < hidden.length; i++) hidden[i].classList.remove("profiles-hide");
    var zoomed = graph.querySelectorAll("li[data-w]");
    for (var j = 0; j < zoomed.length; j++) {
      zoomed[j].style.width = zoomed[j].getAttribute("data-w");
      zoomed[j].removeAttribute("data-w");
    }
    graph.removeAttribute("data-zoom");
  }

  function zoom(graph, li) {
    reset(graph);
    for (var n = li; n && graph.contains(n); n = parentFrame(n)) {
      n.setAttribute("data-w", n.style.width);
      n.style.width = "100%";
      var siblings = n.parentElement.children;
      for (var i = 0; i < siblings.length; i++)
        if (siblings[i] !== n) siblings[i].classList.add("profiles-hide");
    }
    graph.setAttribute("data-zoom", "");
  }

  for (var g = 0; g < graphs.length; g++) {
    (function (graph) {
      graph.addEventListener("click", function (e) {
        var li = frameOf(e.target);
        if (!li || !graph.contains(li)) return;
        var zoomedHere = li.hasAttribute("data-w");
        var up = parentFrame(li);
        if (zoomedHere && !(up && graph.contains(up))) reset(graph);
        else if (zoomedHere) zoom(graph, up);
        else zoom(graph, li);
      });
    })(graphs[g]);
  }

  var search = document.getElementById("profiles-search");
  var said = document.getElementById("profiles-matched");
  if (!search) return;
  search.addEventListener("input", function () {
    var needle = search.value.toLowerCase();
    var parts = [];
    for (var g = 0; g < graphs.length; g++) {
      var graph = graphs[g];
      var frames = graph.querySelectorAll("li");
      var matched = 0;
      for (var i = 0; i < frames.length; i++) {
        var li = frames[i];
        var name = li.firstElementChild ? li.firstElementChild.textContent.toLowerCase() : "";
        var hit = needle !== "" && i > 0 && name.indexOf(needle) >= 0;
        li.classList.toggle("profiles-match", hit);
        if (hit) {
          var up = parentFrame(li), inside = false;
          for (; up && graph.contains(up); up = parentFrame(up))
            if (up.classList.contains("profiles-match")) { inside = true; break; }
          if (!inside) matched += Number(li.getAttribute("data-ns"));
        }
      }
      var total = Number(graph.parentElement.getAttribute("data-total-ns"));
      if (needle && total)
        parts.push(graph.parentElement.getAttribute("data-kind") + " " +
                   (100 * matched / total).toFixed(1) + " %");
    }
    said.textContent = needle ? "matched: " + parts.join(", ") : "";
  });
})();
