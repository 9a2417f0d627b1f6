// Draws the reports page's charts from each canvas's data-chart (JSON); the tables beside them hold the same figures.
(function () {
  if (!window.Chart) { return; }
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif';
  Chart.defaults.animation = false;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var data = JSON.parse(canvas.dataset.chart);
    var bar = canvas.dataset.kind === "bar";
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: bar ? "y" : "x",
      plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: function (c) {
        return c.dataset.label + "：" + (c.raw === null ? "—" : c.raw + (bar ? "%" : ""));
      } } } },
      scales: {}
    };
    options.scales[bar ? "x" : "y"] = { min: 0, max: 100 };
    if (!bar) { data.datasets.forEach(function (d) { d.spanGaps = true; d.tension = 0.2; }); }
    new Chart(canvas, { type: bar ? "bar" : "line", data: data, options: options });
    canvas.dataset.drawn = "1";
  });
})();
