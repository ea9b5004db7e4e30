/* The latency histograms (report_latency.c): each <svg> carries its bars'
 * ranges and counts (data-lo: each bar's first value in ns, data-hi: the
 * last bar's last one, data-counts); pointing at a bar marks its column and
 * shows its range and count in a tooltip. The page holds one path per
 * histogram, not an element per bar: a suite of many names stays light. */
(function () {
  "use strict";
  if (!document.querySelector("svg.latency-hist")) return;
  var tip = document.createElement("div");
  tip.id = "latency-tip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.appendChild(tip);
  var marked = null; /* the column shown, in the svg pointed at */

  /* As ctv_format_duration(): three significant digits, ns to s. */
  function fmt(ns) {
    if (ns < 1000) return ns + " ns";
    var units = [["us", 1e3], ["ms", 1e6], ["s", 1e9]];
    for (var i = 0; i < units.length; i++) {
      var v = ns / units[i][1];
      if (v < 999.5) {
        var text = v.toFixed(v < 9.995 ? 2 : v < 99.95 ? 1 : 0);
        if (text.indexOf(".") >= 0) text = text.replace(/0+$/, "").replace(/\.$/, "");
        return text + " " + units[i][0];
      }
    }
    return (ns / 1e9).toFixed(0) + " s";
  }

  function numbers(svg, name) {
    return svg.getAttribute(name).split(" ").map(Number);
  }

  function hide() {
    tip.hidden = true;
    if (marked) marked.parentNode.removeChild(marked);
    marked = null;
  }

  function show(svg, e) {
    var lo = numbers(svg, "data-lo"), counts = numbers(svg, "data-counts");
    var box = svg.getBoundingClientRect();
    var i = Math.floor((e.clientX - box.left) / box.width * counts.length);
    i = Math.max(0, Math.min(counts.length - 1, i));
    var hi = i + 1 < lo.length ? lo[i + 1] - 1 : Number(svg.getAttribute("data-hi"));
    tip.textContent = fmt(lo[i]) + " to " + fmt(hi) + ": " + counts[i];
    if (!marked || marked.parentNode !== svg) {
      hide();
      marked = document.createElementNS(svg.namespaceURI, "rect");
      marked.setAttribute("class", "latency-hover");
      marked.setAttribute("y", "0");
      marked.setAttribute("height", "30");
      svg.insertBefore(marked, svg.firstChild);
    }
    var w = svg.viewBox.baseVal.width / counts.length;
    marked.setAttribute("x", String(w * i));
    marked.setAttribute("width", String(w));
    tip.style.left = e.clientX + 12 + "px";
    tip.style.top = e.clientY + 12 + "px";
    tip.hidden = false;
  }

  document.addEventListener("mousemove", function (e) {
    var svg = e.target.closest ? e.target.closest("svg.latency-hist") : null;
    if (svg) show(svg, e);
    else if (marked) hide();
  });
})();
