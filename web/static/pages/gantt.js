/* A lean Gantt renderer for the schedule plan page: planned, baseline and actual bars, % complete,
   milestones, predecessors, the status date, the critical path (red bars and links, data-critical on
   the bars, a toggle) and forecast dates (a dashed box where they differ from the plan). Only the rows in view are drawn (and redrawn on
   scroll), so a plan of 5,000 tasks stays responsive. Task values arrive as one array per task in
   the order of data.fields. */
(function () {
  "use strict";
  var root = document.getElementById("gantt");
  var source = document.getElementById("gantt-data");
  if (!root || !source) return;
  var data = JSON.parse(source.textContent);
  var F = {};
  data.fields.forEach(function (name, i) { F[name] = i; });
  var ROW = 28, HEAD = 30, OVERSCAN = 12, DAY = 86400000;
  var SCALES = { day: 24, week: 6, month: 2 };
  var px = SCALES.week;

  function day(iso) { return iso ? Math.floor(Date.parse(iso.slice(0, 10) + "T00:00:00Z") / DAY) : null; }
  function iso(n) { return new Date(n * DAY).toISOString().slice(0, 10); }
  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var statusDay = day(data.status_date) || Math.floor(Date.now() / DAY);
  var marks = data.marks || {};   // plugins' marks by task id: {text, tone, tooltip} (web/ui/page_extensions.py)
  var tasks = data.tasks.map(function (t) {
    return { code: t[F.wbs_code], name: t[F.task_name], type: t[F.task_type],
             ps: day(t[F.planned_start]), pf: day(t[F.planned_finish]), bs: day(t[F.baseline_start]),
             bf: day(t[F.baseline_finish]), as: day(t[F.actual_start]), af: day(t[F.actual_finish]),
             pct: Number(t[F.percent_complete] || 0), key: !!t[F.is_key], light: t[F.light] || "", preds: t[F.predecessors] || [],
             crit: t[F.is_critical] === true, tf: t[F.total_float], fs: day(t[F.forecast_start]), ff: day(t[F.forecast_finish]),
             mark: marks[t[F.id]] || null };
  });
  var first = Infinity, last = -Infinity;
  tasks.forEach(function (t) {
    [t.ps, t.pf, t.bs, t.bf, t.as, t.af, t.fs, t.ff].forEach(function (d) {
      if (d !== null) { if (d < first) first = d; if (d > last) last = d; }
    });
  });
  if (!isFinite(first)) { first = statusDay; last = statusDay; }
  first -= 7; last += 14;

  var names = document.createElement("div"); names.className = "gantt-names";
  var chart = document.createElement("div"); chart.className = "gantt-chart";
  names.innerHTML = '<div class="gantt-head">' + esc(root.getAttribute("data-task-label")) + '</div><div class="gantt-body"></div>';
  chart.innerHTML = '<div class="gantt-head"></div><div class="gantt-body"></div>';
  root.innerHTML = "";
  root.appendChild(names); root.appendChild(chart);
  var nameBody = names.querySelector(".gantt-body"), chartBody = chart.querySelector(".gantt-body");
  var head = chart.querySelector(".gantt-head");
  [nameBody, chartBody].forEach(function (b) { b.style.position = "relative"; b.style.height = tasks.length * ROW + "px"; });

  function x(d) { return (d - first) * px; }

  function drawHead() {
    var width = (last - first + 1) * px, html = "";
    chartBody.style.width = head.style.width = width + "px";
    for (var d = first; d <= last; d++) {
      var date = iso(d), dow = new Date(d * DAY).getUTCDay();
      if ((px === SCALES.day) || (px === SCALES.week && dow === 1) || (px === SCALES.month && date.slice(8) === "01")) {
        var text = px === SCALES.month ? date.slice(0, 7) : px === SCALES.week ? date.slice(5) : date.slice(8);
        html += '<span class="gantt-tick" style="left:' + x(d) + 'px">' + text + "</span>";
      }
    }
    head.innerHTML = html;
  }

  var floatLabel = root.getAttribute("data-float-label") || "{days}";
  function critical(t) {
    return (t.crit ? " is-critical" : "") + '" data-critical="' + (t.crit ? "true" : "false");
  }

  function bar(t) {
    var html = "";
    var cls = t.type === "summary" ? " is-summary"
      : (t.key ? " is-key" : "") + (t.light === "red" || t.light === "yellow" ? " light-" + t.light : "");
    var floatText = t.tf === null || t.tf === undefined ? "" : " · " + floatLabel.replace("{days}", t.tf);
    if (t.fs !== null && t.ff !== null && t.type !== "summary" && (t.fs !== t.ps || t.ff !== t.pf)) {
      html += '<span class="gantt-forecast" style="left:' + x(t.fs) + "px;width:" + Math.max(4, (t.ff - t.fs + 1) * px) +
        'px" title="' + esc(iso(t.fs) + " – " + iso(t.ff)) + '"></span>';
    }
    if (t.type === "milestone" && t.pf !== null) {
      html += '<span class="gantt-milestone' + (t.key ? " is-key" : "") + critical(t) + '" style="left:' + (x(t.pf) + px / 2 - 6) +
        'px" title="' + esc(iso(t.pf) + floatText) + '"></span>';
    } else if (t.ps !== null && t.pf !== null) {
      html += '<span class="gantt-bar' + cls + (t.type === "summary" ? "" : critical(t)) + '" style="left:' + x(t.ps) + "px;width:" + Math.max(2, (t.pf - t.ps + 1) * px) +
        'px" title="' + esc(iso(t.ps) + " – " + iso(t.pf) + " · " + t.pct + "%" + floatText) + '"><span class="done" style="width:' + Math.min(100, t.pct) + '%"></span></span>';
    }
    if (t.bs !== null && t.bf !== null) {
      html += '<span class="gantt-base" style="left:' + x(t.bs) + "px;width:" + Math.max(2, (t.bf - t.bs + 1) * px) + 'px"></span>';
    }
    if (t.as !== null) {
      var end = t.af !== null ? t.af : Math.max(t.as, statusDay);
      html += '<span class="gantt-actual" style="left:' + x(t.as) + "px;width:" + Math.max(2, (end - t.as + 1) * px) + 'px"></span>';
    }
    return html;
  }

  function render() {
    var top = chart.scrollTop, height = chart.clientHeight || 600;
    var from = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    var to = Math.min(tasks.length, Math.ceil((top + height) / ROW) + OVERSCAN);
    var left = "", right = "", links = "";
    for (var i = from; i < to; i++) {
      var t = tasks[i], y = i * ROW;
      var rowClass = "gantt-row" + (t.type === "summary" ? " is-summary" : "") + (t.key ? " is-key" : "") + (t.crit ? " is-critical" : "");
      left += '<div class="' + rowClass + '" style="top:' + y + 'px" title="' + esc(t.code + " " + t.name) + '"><span class="gantt-code">' +
        esc(t.code) + '</span>' + (t.mark ? '<span class="gantt-mark tone-' + esc(t.mark.tone) + '" title="' + esc(t.mark.tooltip) +
        '">' + esc(t.mark.text) + "</span>" : "") + '<span class="gantt-name">' + esc(t.name) + "</span></div>";
      right += '<div class="gantt-row' + (t.mark ? " has-mark tone-" + esc(t.mark.tone) : "") + '" style="top:' + y + 'px"' +
        (t.mark ? ' title="' + esc(t.mark.tooltip) + '"' : "") + ">" + bar(t) + "</div>";
      t.preds.forEach(function (p) {
        var pred = tasks[p];
        if (!pred || pred.pf === null || t.ps === null) return;
        var x1 = x(pred.pf + 1), y1 = p * ROW + 10, x2 = x(t.ps), y2 = y + 10;
        links += '<path' + (pred.crit && t.crit ? ' class="is-critical"' : "") + ' d="M' + x1 + " " + y1 + "H" + (x1 + 4) + "V" + y2 + "H" + x2 + '"/>';
      });
    }
    var svg = '<svg class="gantt-links" width="' + chartBody.style.width.replace("px", "") + '" height="' + tasks.length * ROW +
      '" aria-hidden="true"><g fill="none" stroke="#5b6675" stroke-width="1">' + links + "</g></svg>";
    nameBody.innerHTML = left;
    chartBody.innerHTML = svg + '<span class="gantt-status" style="left:' + x(statusDay) + 'px"></span>' + right;
    root.setAttribute("data-rows", String(to - from));
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; names.scrollTop = chart.scrollTop; render(); });
  }
  chart.addEventListener("scroll", schedule);
  names.addEventListener("wheel", function (event) { chart.scrollTop += event.deltaY; event.preventDefault(); }, { passive: false });

  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var centre = (chart.scrollLeft + chart.clientWidth / 2) / px;
      px = SCALES[button.getAttribute("data-zoom")];
      document.querySelectorAll("[data-zoom]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
      drawHead(); render();
      chart.scrollLeft = centre * px - chart.clientWidth / 2;
    });
  });

  var toggle = document.getElementById("gantt-critical");
  if (toggle) {
    toggle.addEventListener("change", function () { root.classList.toggle("show-critical", toggle.checked); });
  }

  drawHead(); render();
  chart.scrollLeft = Math.max(0, x(statusDay) - chart.clientWidth / 3);
  root.setAttribute("data-ready", "true");
})();
