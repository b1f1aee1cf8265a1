// Value labels for horizontal bar charts of scores: "72%" at the end of each bar (inside it when it fits).
// Chart.js has no built-in labels; a chart opts in with `plugins: [window.bpValueLabels]`. The labels drawn
// are kept on the chart as `$valueLabels`, so a test can read what a learner sees.
(function () {
  "use strict";
  window.bpValueLabels = {
    id: "bpValueLabels",
    afterDatasetsDraw: function (chart) {
      const ctx = chart.ctx;
      const drawn = [];
      ctx.save();
      ctx.font = "600 12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
      ctx.textBaseline = "middle";
      chart.data.datasets.forEach(function (dataset, i) {
        chart.getDatasetMeta(i).data.forEach(function (bar, j) {
          const value = dataset.data[j];
          if (value === null || value === undefined) return;
          const text = Math.round(value) + "%";
          const inside = bar.x - bar.base > ctx.measureText(text).width + 12;
          ctx.fillStyle = inside ? "#ffffff" : "#1d2532";
          ctx.textAlign = inside ? "right" : "left";
          ctx.fillText(text, inside ? bar.x - 6 : bar.x + 6, bar.y);
          drawn.push(text);
        });
      });
      ctx.restore();
      chart.$valueLabels = drawn;
    },
  };
})();
