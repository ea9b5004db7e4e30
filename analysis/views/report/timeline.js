/* The timeline section: every thread's tasks, regions, waits and logs on a
 * canvas (data: report_timeline.c, which documents the records).
 *
 * At load the flat records become typed arrays; each lane (a thread) gets
 * bands of rows (tasks, regions, waits), a span's row being its nesting
 * depth in its band; a row holds span indexes sorted by begin, and as its
 * spans never overlap, by end too. A frame draws, per visible row, only
 * the spans in the visible time range (binary search), and what is
 * narrower than a pixel is merged: one block per pixel column, drawn as
 * "many", found by a binary search past the column. So a frame costs about
 * rows x pixels x log(spans), whatever the trace. A band has at most
 * ROWS_MAX rows: spans nested deeper share its last row, drawn as the
 * union of their times ("deeper"), so a lane stays a few thousand pixels
 * high however many spans overlap. The canvas is as high as the view and
 * sticks to its top; a spacer below it makes the view scroll through the
 * lanes. */
(function () {
  "use strict";
  var section = document.getElementById("timeline");
  if (!section) return;
  var spansEl = document.getElementById("timeline-spans");
  var metaEl = document.getElementById("timeline-meta");
  var view = document.getElementById("timeline-view");
  var canvas = document.getElementById("timeline-canvas");
  var spacer = view.querySelector(".timeline-spacer");
  var tip = document.getElementById("timeline-tip");
  var details = document.getElementById("timeline-details");
  var rangeText = document.getElementById("timeline-range");
  if (!spansEl || !metaEl || !canvas.getContext) return;

  /* Record types, as report_timeline.c writes them. */
  var TEST = 0, FIXTURE = 1, USER = 2, REGION = 3, SYNC = 4, SCHED = 7, LOG = 8, UNENDED = 16;
  var TYPE_NAMES = ["test", "fixture", "task", "region", "sync wait", "syscall wait",
                    "net wait", "sched wait"];
  var TYPE_COLOURS = ["#3b6fb6", "#7a8ca8", "#2a9d8f", null, "#d62828", "#f77f00",
                      "#7b2cbf", "#c9a227"];
  var MANY = "#555", DEEPER = "#a1887f";
  var BAND_OF = [0, 0, 0, 1, 2, 2, 2, 2];
  var ROW_H = [16, 16, 10];       /* by band */
  var ROWS_MAX = 256;             /* rows of a band; the last holds what is deeper */
  var LANE_PAD = 4, PROC_H = 20, LABEL_W = 180, RULER_H = 22, LOG_H = 7, LANE_MIN_H = 24;

  var meta = JSON.parse(metaEl.textContent);
  var flat = JSON.parse(spansEl.textContent);
  var names = meta.names;

  /* Records into columns. */
  var nspans = meta.spans, nlogs = meta.logs;
  var sLane = new Uint32Array(nspans), sType = new Uint8Array(nspans),
      sName = new Uint32Array(nspans), sBegin = new Float64Array(nspans),
      sEnd = new Float64Array(nspans), sTask = new Float64Array(nspans);
  var lLane = new Uint32Array(nlogs), lCat = new Uint32Array(nlogs),
      lTs = new Float64Array(nlogs), lTask = new Float64Array(nlogs), lText = new Array(nlogs);
  var at = 0, prev = 0, ns = 0, nl = 0;
  while (at < flat.length) {
    var type = flat[at + 1];
    prev += flat[at + 3];
    if (type === LOG) {
      lLane[nl] = flat[at]; lCat[nl] = flat[at + 2]; lTs[nl] = prev;
      lTask[nl] = flat[at + 4]; lText[nl] = flat[at + 5]; nl++;
      at += 6;
    } else {
      sLane[ns] = flat[at]; sType[ns] = type; sName[ns] = flat[at + 2];
      sBegin[ns] = prev; sEnd[ns] = prev + flat[at + 4]; sTask[ns] = flat[at + 5]; ns++;
      at += 6;
    }
  }
  flat = null;
  nspans = ns; nlogs = nl;

  /* A task's span by its id, for "in task ..." in the details. */
  var taskSpan = new Map();
  for (var i = 0; i < nspans; i++)
    if ((sType[i] & 15) <= USER) taskSpan.set(sTask[i], i);

  /* Lanes: by process; in each, its main thread first, then by tid. */
  var nlanes = meta.lanes.length / 3;
  var lanes = [];
  for (var l = 0; l < nlanes; l++)
    lanes.push({index: l, process: meta.lanes[3 * l], tid: meta.lanes[3 * l + 1],
                name: meta.lanes[3 * l + 2], bands: [[], [], []], logs: null, deeper: 0});
  function isMain(lane) { return lane.tid === meta.processes[2 * lane.process] ? 0 : 1; }
  var order = lanes.slice().sort(function (a, b) {
    return a.process - b.process || isMain(a) - isMain(b) || a.tid - b.tid;
  });

  /* The spans of `idx` (sorted by begin) as the union of their times:
   * blocks that never overlap, each with how many spans it merges. */
  function deeperRow(idx) {
    var begin = [], end = [], count = [];
    for (var k = 0; k < idx.length; k++) {
      var s = idx[k], last = end.length - 1;
      if (last >= 0 && sBegin[s] <= end[last]) {
        if (sEnd[s] > end[last]) end[last] = sEnd[s];
        count[last]++;
      } else {
        begin.push(sBegin[s]); end.push(sEnd[s]); count.push(1);
      }
    }
    return {deeper: idx.length, begin: Float64Array.from(begin), end: Float64Array.from(end),
            count: Uint32Array.from(count)};
  }

  /* Rows: per lane and band, spans sorted by begin (longest first), each
   * at the depth of the spans still open around it; past ROWS_MAX - 1, in
   * the deeper row. */
  var placed = 0, deeperSpans = 0, deeperLanes = 0;
  function buildRows() {
    var byGroup = new Map();
    for (var i = 0; i < nspans; i++) {
      var key = sLane[i] * 4 + BAND_OF[sType[i] & 15];
      var g = byGroup.get(key);
      if (!g) byGroup.set(key, g = []);
      g.push(i);
    }
    byGroup.forEach(function (list, key) {
      var idx = Uint32Array.from(list);
      idx.sort(function (a, b) { return sBegin[a] - sBegin[b] || sEnd[b] - sEnd[a]; });
      var stack = [], rows = [], counts = [];
      var depth = new Uint32Array(idx.length);
      for (var k = 0; k < idx.length; k++) {
        var s = idx[k];
        while (stack.length && sEnd[stack[stack.length - 1]] <= sBegin[s]) stack.pop();
        var d = stack.length;
        depth[k] = d;
        counts[d] = (counts[d] || 0) + 1;
        stack.push(s);
      }
      var shown = counts.length > ROWS_MAX ? ROWS_MAX - 1 : counts.length;
      for (var d2 = 0; d2 < shown; d2++) rows.push(new Uint32Array(counts[d2]));
      var fill = new Uint32Array(shown), deeper = [];
      for (var k2 = 0; k2 < idx.length; k2++) {
        if (depth[k2] < shown) rows[depth[k2]][fill[depth[k2]]++] = idx[k2];
        else deeper.push(idx[k2]);
        placed++;
      }
      var lane = lanes[Math.floor(key / 4)];
      if (deeper.length) {
        rows.push(deeperRow(deeper));
        deeperSpans += deeper.length;
        lane.deeper += deeper.length;
      }
      lane.bands[key % 4] = rows;
    });
    var logsBy = new Map();
    for (var j = 0; j < nlogs; j++) {
      var lg = logsBy.get(lLane[j]);
      if (!lg) logsBy.set(lLane[j], lg = []);
      lg.push(j);
    }
    logsBy.forEach(function (list, lane) {
      var idx = Uint32Array.from(list);
      idx.sort(function (a, b) { return lTs[a] - lTs[b]; });
      lanes[lane].logs = idx;
    });
  }
  buildRows();
  lanes.forEach(function (lane) { deeperLanes += lane.deeper ? 1 : 0; });

  /* Vertical layout: a header per process, then its lanes' rows. */
  var layout = [];  /* {y, h, kind: "proc"|"row", lane, band, row} */
  function buildLayout() {
    var y = RULER_H, lastProc = -1;
    order.forEach(function (lane) {
      if (lane.process !== lastProc) {
        layout.push({y: y, h: PROC_H, kind: "proc", process: lane.process});
        y += PROC_H;
        lastProc = lane.process;
      }
      var top = y;
      y += LOG_H;
      for (var b = 0; b < 3; b++)
        for (var r = 0; r < lane.bands[b].length; r++) {
          layout.push({y: y, h: ROW_H[b], kind: "row", lane: lane, band: b,
                       row: lane.bands[b][r]});
          y += ROW_H[b];
        }
      y = Math.max(y, top + LANE_MIN_H); /* room for its label, even with nothing in it */
      layout.push({y: top, h: y - top, kind: "lane", lane: lane});
      y += LANE_PAD;
    });
    return y;
  }
  var totalH = buildLayout();

  /* Colours: regions by name, the rest by type. */
  function nameColour(n) {
    var h = (n * 2654435761) % 360;
    return "hsl(" + h + ",55%,55%)";
  }
  var regionColours = [];
  function colour(i) {
    var t = sType[i] & 15;
    if (t !== REGION) return TYPE_COLOURS[t];
    var n = sName[i];
    return regionColours[n] || (regionColours[n] = nameColour(n));
  }

  /* The view: [t0, t0 + span) ns, scrolled vertically by the container. */
  var duration = Math.max(meta.duration_ns, 1);
  var t0 = 0, tspan = duration, highlight = -1, selected = null;
  var dpr = window.devicePixelRatio || 1;
  var ctx = canvas.getContext("2d");
  var width = 0, height = 0, drawn = 0;

  function plotW() { return Math.max(width - LABEL_W, 1); }
  function xOf(t) { return LABEL_W + (t - t0) / tspan * plotW(); }
  function tOf(x) { return t0 + (x - LABEL_W) / plotW() * tspan; }

  /* A time in the unit its size calls for, with as many decimals as `res`
   * (ns: the smallest difference that must show) needs: ticks a step apart
   * read apart at any zoom, and res 1 gives every nanosecond. Integer
   * arithmetic: times are whole ns, exact in a double up to 104 days. */
  function fmt(nsv, res) {
    var a = Math.abs(nsv), k = a < 1e3 ? 0 : a < 1e6 ? 3 : a < 1e9 ? 6 : 9;
    var d = Math.min(k, Math.max(0, Math.ceil(k - Math.log10(Math.max(res, 1)) - 1e-9)));
    var scaled = Math.round(a / Math.pow(10, k - d)), text = String(scaled);
    if (d > 0) {
      while (text.length <= d) text = "0" + text;
      text = text.slice(0, text.length - d) + "." + text.slice(text.length - d);
    }
    return (nsv < 0 && scaled ? "-" : "") + text + " " + ["ns", "us", "ms", "s"][k / 3];
  }
  function exact(nsv) { return fmt(nsv, 1); }

  /* The first position from `from` on in `idx` (sorted by `keys`) whose
   * key is past t (`after`), or at or past it. */
  function first(idx, keys, t, from, after) {
    var lo = from, hi = idx.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      var k = keys[idx[mid]];
      if (k < t || (after && k === t)) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  /* Rows' ends are sorted as their begins are: spans in a row never overlap. */
  function firstEndingAfter(row, t) { return first(row, sEnd, t, 0, true); }
  function firstBeginAtOrAfter(row, t, from) { return first(row, sBegin, t, from, false); }
  function firstLogAtOrAfter(idx, t, from) { return first(idx, lTs, t, from, false); }

  function laneLabel(lane) {
    var name = lane.name >= 0 ? names[lane.name] : "thread";
    return name + " " + lane.tid;
  }
  function processLabel(p) {
    if (2 * p >= meta.processes.length) return "process " + p; /* its begin was lost */
    var pid = meta.processes[2 * p], n = meta.processes[2 * p + 1];
    var path = n >= 0 ? names[n] : "process";
    return path.slice(path.lastIndexOf("/") + 1) + " (pid " + pid + ")";
  }

  /* The deeper row: its blocks in view, at least a pixel wide each. */
  function drawDeeper(row, y, h) {
    var t1 = t0 + tspan, i = firstAfter(row.end, t0, 0);
    ctx.fillStyle = DEEPER;
    while (i < row.begin.length && row.begin[i] <= t1) {
      var left = Math.max(xOf(row.begin[i]), LABEL_W), right = Math.min(xOf(row.end[i]), width);
      ctx.fillRect(Math.floor(left), y, Math.max(right - left, 1), h);
      drawn += row.count[i];
      /* Blocks never overlap: of those beginning in this pixel column, all
       * but the last end in it (drawn already); the last may reach past it. */
      var next = firstAfter(row.begin, tOf(Math.floor(left) + 1), i + 1);
      i = next - 1 > i ? next - 1 : i + 1;
    }
  }
  /* The first index from `from` on of sorted `keys` past t. */
  function firstAfter(keys, t, from) {
    var lo = from, hi = keys.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (keys[mid] <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function drawRow(item, y) {
    if (item.row.deeper) return drawDeeper(item.row, y, item.h - 1);
    var row = item.row, h = item.h - 1, t1 = t0 + tspan;
    var i = firstEndingAfter(row, t0);
    /* Adjacent one-pixel blocks of one colour are filled as one rectangle. */
    var runFrom = 0, runTo = -1, runColour = null;
    function flush() {
      if (runTo < runFrom) return;
      ctx.fillStyle = runColour;
      ctx.fillRect(runFrom, y, runTo - runFrom + 1, h);
      runTo = -1;
    }
    while (i < row.length) {
      var s = row[i];
      if (sBegin[s] > t1) break;
      var x0 = xOf(sBegin[s]), x1 = xOf(sEnd[s]);
      if (x1 - x0 >= 1) {
        flush();
        var left = Math.max(x0, LABEL_W), right = Math.min(x1, width);
        ctx.fillStyle = colour(s);
        ctx.globalAlpha = sType[s] & UNENDED ? 0.55 : 1;
        ctx.fillRect(left, y, right - left, h);
        if (highlight >= 0 && sName[s] === highlight && (sType[s] & 15) <= REGION) {
          ctx.globalAlpha = 1;
          ctx.strokeStyle = "#000";
          ctx.strokeRect(left + 0.5, y + 0.5, right - left - 1, h - 1);
        }
        ctx.globalAlpha = 1;
        if (right - left > 30 && item.band < 2) {
          ctx.save();
          ctx.beginPath();
          ctx.rect(left, y, right - left - 2, h);
          ctx.clip();
          ctx.fillStyle = "#fff";
          ctx.fillText(names[sName[s]], left + 3, y + h - 4);
          ctx.restore();
        }
        drawn++;
        i++;
        continue;
      }
      /* Narrower than a pixel: what begins in this pixel column is one
       * block, but for the last, which may reach past it (drawn next). */
      var col = Math.floor(x0), next = firstBeginAtOrAfter(row, tOf(col + 1), i + 1);
      if (next - 1 > i && xOf(sEnd[row[next - 1]]) >= col + 1) next--;
      var count = next - i, c = count > 1 ? MANY : colour(s);
      col = Math.max(col, LABEL_W);
      if (c !== runColour || col > runTo + 1) {
        flush();
        runFrom = col;
        runColour = c;
      }
      runTo = col;
      drawn += count;
      i = next;
    }
    flush();
  }

  function drawLogs(lane, y) {
    var idx = lane.logs;
    if (!idx) return;
    var t1 = t0 + tspan, i = firstLogAtOrAfter(idx, t0, 0);
    ctx.fillStyle = "#444";
    while (i < idx.length && lTs[idx[i]] <= t1) {
      var x = Math.floor(xOf(lTs[idx[i]]));
      ctx.beginPath();
      ctx.moveTo(x - 3, y);
      ctx.lineTo(x + 3, y);
      ctx.lineTo(x, y + LOG_H - 1);
      ctx.fill();
      drawn++;
      i = firstLogAtOrAfter(idx, tOf(x + 2), i + 1);
    }
  }

  function drawRuler() {
    ctx.fillStyle = getComputedStyle(section).getPropertyValue("--panel").trim() || "#eee";
    ctx.fillRect(0, 0, width, RULER_H);
    var step = Math.pow(10, Math.floor(Math.log10(tspan / 8)));
    if (tspan / step > 16) step *= 5; else if (tspan / step > 8) step *= 2;
    ctx.fillStyle = "#888";
    ctx.strokeStyle = "rgba(128,128,128,0.25)";
    var from = Math.ceil(t0 / step), labels = [];
    for (var n = 0, t = from * step; t <= t0 + tspan; t = (from + ++n) * step) {
      var x = Math.floor(xOf(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, RULER_H - 6);
      ctx.lineTo(x, height);
      ctx.stroke();
      if (x < width - 60) {
        labels.push(fmt(t, step));
        ctx.fillText(labels[labels.length - 1], x + 2, 12);
      }
    }
    canvas.setAttribute("data-ticks", labels.join("|")); /* the canvas is no text: for tests */
  }

  function draw() {
    var fg = getComputedStyle(document.body).color;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
    drawn = 0;
    var top = view.scrollTop;
    drawRuler();
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, RULER_H, width, height - RULER_H); /* rows scrolled under the ruler: hidden */
    ctx.clip();
    for (var k = 0; k < layout.length; k++) {
      var item = layout[k], y = item.y - top;
      if (y + item.h < RULER_H || y > height) continue;
      if (item.kind === "proc") {
        ctx.fillStyle = fg;
        ctx.font = "bold 12px system-ui, sans-serif";
        ctx.fillText(processLabel(item.process), 4, y + 14);
        ctx.font = "11px system-ui, sans-serif";
      } else if (item.kind === "lane") {
        ctx.fillStyle = fg;
        ctx.fillText(laneLabel(item.lane), 12, y + 18);
        ctx.strokeStyle = "rgba(128,128,128,0.35)";
        ctx.beginPath();
        ctx.moveTo(0, y + item.h + 1.5);
        ctx.lineTo(width, y + item.h + 1.5);
        ctx.stroke();
        drawLogs(item.lane, y);
      } else {
        drawRow(item, y);
      }
    }
    ctx.restore();
    if (selected && selected.x0 !== undefined) {
      ctx.fillStyle = "rgba(66,133,244,0.2)";
      ctx.fillRect(selected.x0, RULER_H, selected.x1 - selected.x0, height);
    }
    var res = tspan / 1000;
    rangeText.textContent = fmt(t0, res) + " \u2013 " + fmt(t0 + tspan, res) + " (" +
                            fmt(tspan, res) + ")";
    canvas.setAttribute("data-drawn", String(drawn));
  }

  var pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; draw(); });
  }

  function resize() {
    width = view.clientWidth;
    height = Math.min(totalH, Math.max(200, Math.round(window.innerHeight * 0.7)));
    view.style.height = height + "px";
    spacer.style.height = Math.max(totalH - height, 0) + "px";
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
  }

  function zoomAt(factor, x) {
    var t = x === undefined ? t0 + tspan / 2 : tOf(x);
    var next = Math.min(Math.max(tspan * factor, 10), duration * 1.05);
    t0 = t - (t - t0) * next / tspan;
    tspan = next;
    clamp();
    redraw();
  }
  function clamp() {
    t0 = Math.max(-tspan * 0.02, Math.min(t0, duration - tspan * 0.98));
  }
  function pan(px) {
    t0 += px / plotW() * tspan;
    clamp();
    redraw();
  }

  /* What is at (x, y): a span, a merged block, a log. */
  function hit(x, y) {
    var top = view.scrollTop, t = tOf(x), slack = 2 / plotW() * tspan;
    for (var k = 0; k < layout.length; k++) {
      var item = layout[k], iy = item.y - top;
      if (y < iy || y >= iy + item.h) continue;
      if (item.kind === "lane" && y < iy + LOG_H && item.lane.logs) {
        var idx = item.lane.logs, j = firstLogAtOrAfter(idx, t - slack, 0);
        if (j < idx.length && lTs[idx[j]] <= t + slack) return {log: idx[j], lane: item.lane};
      }
      if (item.kind !== "row") continue;
      if (item.row.deeper) {
        var d = item.row, b = firstAfter(d.end, t - slack, 0);
        if (b < d.begin.length && d.begin[b] <= t + slack) return {deeper: d, block: b, lane: item.lane};
        continue;
      }
      var row = item.row, i = firstEndingAfter(row, t - slack);
      if (i >= row.length || sBegin[row[i]] > t + slack) continue;
      var last = firstBeginAtOrAfter(row, t + slack, i);
      return {span: row[i], count: last - i, from: row[i], to: row[Math.max(last - 1, i)],
              lane: item.lane};
    }
    return null;
  }

  function describe(h) {
    var lines = [];
    if (h.deeper) {
      var d = h.deeper, b = h.block;
      lines.push(d.count[b] + " spans nested deeper than " + (ROWS_MAX - 1) + " rows, drawn " +
                 "as one block (" + d.deeper + " on this row; `ctest-trace tasks` and " +
                 "`regions` list them)");
      lines.push("from " + exact(d.begin[b]) + " to " + exact(d.end[b]));
    } else if (h.log !== undefined) {
      lines.push("log [" + names[lCat[h.log]] + "] at " + exact(lTs[h.log]));
      lines.push(lText[h.log]);
      taskLine(lines, lTask[h.log]);
    } else if (h.count > 1) {
      lines.push(h.count + " spans here (many: zoom in to tell them apart)");
      lines.push("from " + exact(sBegin[h.from]) + " to " + exact(sEnd[h.to]));
    } else {
      var s = h.span, t = sType[s] & 15;
      var what = t <= REGION ? names[sName[s]] : TYPE_NAMES[t];
      lines.push(what + " (" + TYPE_NAMES[t] + (sType[s] & UNENDED ? ", unended" : "") + ")");
      lines.push("begin " + exact(sBegin[s]) + ", end " + exact(sEnd[s]) + ", duration " +
                 exact(sEnd[s] - sBegin[s]));
      if (t > USER) taskLine(lines, sTask[s]);
      else lines.push("task id " + sTask[s]);
      if (t >= SYNC && sName[s] > 0) {
        lines.push("stack:");
        meta.stacks[sName[s] - 1].forEach(function (f) { lines.push("  " + f); });
      }
    }
    lines.push("thread " + laneLabel(h.lane) + ", " + processLabel(h.lane.process));
    return lines.join("\n");
  }
  function taskLine(lines, id) {
    if (!id) return;
    var span = taskSpan.get(id);
    lines.push("in task " + (span !== undefined ? names[sName[span]] + " " : "") + "(id " + id + ")");
  }

  /* Input. */
  var drag = null;
  view.addEventListener("wheel", function (e) {
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      zoomAt(Math.exp(e.deltaY * 0.002), e.offsetX);
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      pan(e.shiftKey ? e.deltaY : e.deltaX);
    }
  }, {passive: false});
  view.addEventListener("scroll", redraw);
  canvas.addEventListener("mousedown", function (e) {
    drag = {x: e.offsetX, t0: t0, select: e.shiftKey, moved: false};
  });
  window.addEventListener("mousemove", function (e) {
    if (drag) {
      var x = e.clientX - canvas.getBoundingClientRect().left;
      if (Math.abs(x - drag.x) > 3) drag.moved = true;
      if (drag.select) {
        selected = {x0: Math.min(drag.x, x), x1: Math.max(drag.x, x)};
        redraw();
      } else if (drag.moved) {
        t0 = drag.t0 - (x - drag.x) / plotW() * tspan;
        clamp();
        redraw();
      }
    }
  });
  window.addEventListener("mouseup", function () {
    if (drag && drag.select && selected && selected.x1 - selected.x0 > 3) {
      var a = tOf(Math.max(selected.x0, LABEL_W)), b = tOf(selected.x1);
      t0 = a;
      tspan = Math.max(b - a, 10);
      clamp();
    }
    if (drag && drag.select) selected = null;
    if (drag) redraw();
    drag = drag && !drag.moved && !drag.select ? drag : null;
  });
  canvas.addEventListener("click", function (e) {
    if (!drag) return;
    drag = null;
    var h = hit(e.offsetX, e.offsetY);
    details.textContent = h ? describe(h) : "Nothing here.";
  });
  canvas.addEventListener("mousemove", function (e) {
    var h = drag ? null : hit(e.offsetX, e.offsetY);
    if (!h) { tip.hidden = true; return; }
    tip.textContent = describe(h);
    tip.hidden = false;
    tip.style.left = (e.pageX + 12) + "px";
    tip.style.top = (e.pageY + 12) + "px";
  });
  canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
  view.addEventListener("keydown", function (e) {
    var k = e.key;
    if (k === "+" || k === "=") zoomAt(0.7);
    else if (k === "-" || k === "_") zoomAt(1 / 0.7);
    else if (k === "ArrowLeft") pan(-plotW() * 0.2);
    else if (k === "ArrowRight") pan(plotW() * 0.2);
    else if (k === "0") { t0 = 0; tspan = duration; redraw(); }
    else return;
    e.preventDefault();
  });
  section.querySelectorAll("[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      var z = b.getAttribute("data-zoom");
      if (z === "in") zoomAt(0.5);
      else if (z === "out") zoomAt(2);
      else { t0 = 0; tspan = duration; redraw(); }
    });
  });
  var namesList = document.getElementById("timeline-names");
  if (namesList) namesList.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-name]");
    if (!b) return;
    var n = Number(b.getAttribute("data-name"));
    highlight = highlight === n ? -1 : n;
    redraw();
  });
  window.addEventListener("resize", function () { resize(); redraw(); });

  /* The legend: the types' colours, as text. */
  var legend = document.getElementById("timeline-legend");
  TYPE_NAMES.forEach(function (name, t) {
    var item = document.createElement("span");
    var swatch = document.createElement("i");
    swatch.style.background = t === REGION ? "linear-gradient(90deg,#e76f51,#2a9d8f,#8ab17d)"
                                           : TYPE_COLOURS[t];
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(t === REGION ? "regions (a colour a name)" : name));
    legend.appendChild(item);
  });
  var many = document.createElement("span");
  var manySwatch = document.createElement("i");
  manySwatch.style.background = MANY;
  many.appendChild(manySwatch);
  many.appendChild(document.createTextNode("many spans narrower than a pixel"));
  legend.appendChild(many);
  if (deeperSpans) {
    var deep = document.createElement("span"), deepSwatch = document.createElement("i");
    deepSwatch.style.background = DEEPER;
    deep.appendChild(deepSwatch);
    deep.appendChild(document.createTextNode("spans nested deeper than " + (ROWS_MAX - 1) +
                                             " rows (a band's last row)"));
    legend.appendChild(deep);
    var note = document.createElement("p");
    note.id = "timeline-deeper";
    note.className = "note";
    note.textContent = deeperSpans + " spans on " + deeperLanes + " thread(s) are nested " +
        "deeper than " + (ROWS_MAX - 1) + " rows: each band draws them merged in its last row " +
        "(\u201cdeeper\u201d); a click on it says how many are where.";
    legend.parentNode.insertBefore(note, legend.nextSibling);
  }

  resize();
  draw();
  /* For tests and measures: when the first draw was done (ms from the
   * navigation's start), and where the canvas is in the page. */
  document.body.setAttribute("data-first-draw-ms", String(Math.round(performance.now())));
  var box = canvas.getBoundingClientRect();
  canvas.setAttribute("data-rect", [box.left + window.scrollX, box.top + window.scrollY,
                                    box.width, box.height].map(Math.round).join(","));
  /* What the rows hold: every span placed (deeper ones too), the rows' height. */
  canvas.setAttribute("data-spans", nspans + " " + placed + " " + deeperSpans);
  canvas.setAttribute("data-rows-height", String(totalH));
})();
