/* Charts of the air pages (ECharts, vendored). Each chart reads its data from a json_script block. */
(function () {
  "use strict";

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function mount(id) {
    var box = document.getElementById(id);
    if (!box || !window.echarts) { return null; }
    var chart = window.echarts.init(box);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function stationMap() {
    var d = data("air-map-data");
    var chart = d && mount("air-map");
    if (!chart) { return; }
    var b = d.bounds;
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 30, top: 12, bottom: 8, containLabel: true },
      tooltip: {
        formatter: function (p) {
          var v = p.data.value[2];
          return p.data.name + "<br>" + p.data.kind + "<br>AQI " + (v === null ? "—" : v) + " · " + p.data.category;
        }
      },
      xAxis: { type: "value", min: b ? b[0] : null, max: b ? b[1] : null, axisLabel: { formatter: function (v) { return v.toFixed(2) + "°E"; } }, splitLine: { lineStyle: { color: "#eef1f5" } } },
      yAxis: { type: "value", min: b ? b[2] : null, max: b ? b[3] : null, axisLabel: { formatter: function (v) { return v.toFixed(2) + "°N"; } }, splitLine: { lineStyle: { color: "#eef1f5" } } },
      series: [{
        type: "scatter",
        symbolSize: function (v) { return v[2] === null ? 14 : 22; },
        data: d.points.map(function (p) {
          // labels of stations in the eastern half go to the left, so that a phone's narrow chart does not clip them
          var east = b && p.value[0] > (b[0] + b[1]) / 2;
          return { name: p.name, value: p.value, kind: p.kind, category: p.category, url: p.url,
                   label: { position: east ? "left" : "right" },
                   itemStyle: { color: p.color, borderColor: "#ffffff", borderWidth: 2, shadowBlur: 4, shadowColor: "rgba(0,0,0,.25)" } };
        }),
        label: { show: true, position: "right", formatter: function (p) { return p.data.name + (p.data.value[2] === null ? "" : " " + p.data.value[2]); }, fontSize: 11, color: "#2d3748" },
        labelLayout: { hideOverlap: true }
      }]
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
  }

  function hoursChart() {
    var d = data("air-hours-data");
    var chart = d && mount("air-hours");
    if (!chart) { return; }
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 34, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: d.times, axisLabel: { hideOverlap: true } },
      yAxis: [{ type: "value", name: "AQI", min: 0 }, { type: "value", name: "µg/m³", min: 0, splitLine: { show: false } }],
      dataZoom: [{ type: "inside" }, { type: "slider", height: 16, bottom: 6 }],
      series: [
        { name: d.labels.aqi, type: "bar", barMaxWidth: 10,
          data: d.aqi.map(function (v, i) { return { value: v, itemStyle: { color: d.colors[i] } }; }) },
        { name: d.labels.pm25, type: "line", yAxisIndex: 1, showSymbol: false, data: d.pm25, color: "#1f5fbf" },
        { name: d.labels.o3, type: "line", yAxisIndex: 1, showSymbol: false, data: d.o3, color: "#2f855a" }
      ]
    });
  }

  function calendarChart() {
    var d = data("air-calendar-data");
    var chart = d && mount("air-calendar");
    if (!chart) { return; }
    var shown = null;
    function render() {
      var narrow = chart.getWidth() < 640;
      if (narrow === shown) { return; }
      shown = narrow;
      var range = d.range;
      if (narrow) {
        // A phone shows the last four months at a readable size rather than a year of specks.
        var end = new Date(d.range[1] + "T12:00:00");
        var start = new Date(end.getTime() - 119 * 86400000);
        var first = new Date(d.range[0] + "T12:00:00");
        if (start < first) { start = first; }
        range = [start.toISOString().slice(0, 10), d.range[1]];
      }
      chart.setOption({
        animation: false,
        tooltip: { formatter: function (p) { return p.data[0] + "<br>AQI " + p.data[1]; } },
        visualMap: { type: "piecewise", show: false, pieces: d.pieces, outOfRange: { color: "#e2e8f0" } },
        calendar: {
          range: range, top: 24, left: narrow ? 24 : 36, right: 8, bottom: 4,
          cellSize: ["auto", narrow ? 18 : 17],
          yearLabel: { show: false },
          dayLabel: { firstDay: 1, nameMap: "ZH", fontSize: 10 },
          monthLabel: { nameMap: "ZH", fontSize: 10 },
          itemStyle: { borderColor: "#fff", borderWidth: 1, color: "#f1f4f8" },
          splitLine: { lineStyle: { color: "#cbd5e0" } }
        },
        series: [{ type: "heatmap", coordinateSystem: "calendar", data: d.data }]
      }, true);
    }
    render();
    window.addEventListener("resize", render);
  }

  function start() {
    stationMap();
    hoursChart();
    calendarChart();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
