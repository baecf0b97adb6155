/* The publicity map (ECharts, vendored; no map tiles): each village at its households' centroid, coloured by
   the days since its last publicity, sized by its count; villages silent in the window get a ring and a label.
   Clicking a village opens its publicity. The data come from the page's json_script block. */
(function () {
  "use strict";
  function start() {
    var node = document.getElementById("publicity-map-data");
    var box = document.getElementById("publicity-map");
    if (!node || !box || !window.echarts) { return; }
    var d = JSON.parse(node.textContent);
    var b = d.bounds;
    var most = Math.max.apply(null, d.points.map(function (p) { return p.value[2]; }).concat([1]));
    // a county has hundreds of villages: smaller dots, and only the silent ones named
    var crowded = d.points.length > 60;
    var size = function (n) { return crowded ? 5 + 11 * Math.sqrt(n / most) : 10 + 26 * Math.sqrt(n / most); };
    var chart = window.echarts.init(box);
    var item = function (p) {
      var east = b && p.value[0] > (b[0] + b[1]) / 2;
      return {
        name: p.name, value: p.value, tip: p.tip, url: p.url, silent: p.silent,
        symbolSize: p.silent ? Math.max(crowded ? 8 : 16, size(p.value[2])) : size(p.value[2]),
        itemStyle: p.silent
          ? { color: p.color, borderColor: "#7a1016", borderWidth: 2.5, shadowBlur: 6, shadowColor: "rgba(217,54,62,.45)" }
          : { color: p.color, borderColor: "#ffffff", borderWidth: crowded ? 0.8 : 1.5, opacity: 0.85 },
        label: { position: east ? "left" : "right" }
      };
    };
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 36, top: 16, bottom: 8, containLabel: true },
      tooltip: { formatter: function (p) { return "<b>" + p.data.name + "</b><br>" + p.data.tip; } },
      xAxis: { type: "value", scale: true, min: b ? b[0] : null, max: b ? b[1] : null, splitNumber: 4,
               axisLabel: { formatter: function (v) { return v.toFixed(2) + "°E"; }, color: "#718096", showMinLabel: false, showMaxLabel: false, hideOverlap: true },
               splitLine: { lineStyle: { color: "#eef1f5" } } },
      yAxis: { type: "value", scale: true, min: b ? b[2] : null, max: b ? b[3] : null, splitNumber: 5,
               axisLabel: { formatter: function (v) { return v.toFixed(2) + "°N"; }, color: "#718096", showMinLabel: false, showMaxLabel: false },
               splitLine: { lineStyle: { color: "#eef1f5" } } },
      series: [
        { type: "scatter", name: "villages", z: 2,
          data: d.points.filter(function (p) { return !p.silent; }).map(item),
          label: { show: !crowded, formatter: "{b}", fontSize: 11, color: "#4a5568" },
          labelLayout: { hideOverlap: true } },
        { type: "scatter", name: "silent", z: 3,
          data: d.points.filter(function (p) { return p.silent; }).map(item),
          label: { show: true, formatter: function (p) { return p.name + " · " + d.silent_label; },
                   fontSize: crowded ? 11 : 12, fontWeight: "bold", color: "#9b1c23",
                   backgroundColor: "rgba(255,255,255,.85)", padding: [1, 3], borderRadius: 3 },
          labelLayout: { hideOverlap: true } }
      ]
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
