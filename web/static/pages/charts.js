/* Charts: ECharts (vendored under /assets/vendor/echarts) over the JSON each .chart-figure embeds.
   Values arrive as exact decimal strings; the chart only draws them. */
(function () {
  "use strict";
  if (!window.echarts) return;

  function optionOf(data) {
    if (data.type === "pie") {
      var first = data.series[0];
      return {
        tooltip: { trigger: "item" },
        legend: { type: "scroll", bottom: 0 },
        series: [{ type: "pie", name: first.name, radius: ["35%", "65%"],
                   data: data.categories.map(function (c, i) { return { name: c, value: Number(first.data[i]) }; }) }]
      };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 8, right: 16, top: 24, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: data.categories, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value" },
      series: data.series.map(function (s) {
        var item = { type: data.type === "area" ? "line" : data.type, name: s.name, data: s.data.map(Number) };
        if (data.type === "area") item.areaStyle = {};
        if (data.stacked) item.stack = "total";
        return item;
      })
    };
  }

  var charts = [];
  document.querySelectorAll(".chart-figure").forEach(function (figure) {
    var holder = figure.querySelector(".chart");
    var source = figure.querySelector("script.chart-data");
    if (!holder || !source) return;
    var chart = window.echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption(optionOf(JSON.parse(source.textContent)));
    holder.setAttribute("data-rendered", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
