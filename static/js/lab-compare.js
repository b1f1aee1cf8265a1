// Two runs on one chart: each run's RPS (solid, left axis) and P99 (dashed, right axis) against seconds
// since its load started. The data comes from the page (json_script), the figures are in the table above.
(function () {
  "use strict";
  const dataEl = document.getElementById("lab-compare-data");
  const canvas = document.getElementById("chart-compare");
  if (!dataEl || !canvas || !window.Chart) return;
  const runs = JSON.parse(dataEl.textContent);
  const colours = { a: "#0172ad", b: "#b42318" };
  const datasets = [];
  ["a", "b"].forEach((key) => {
    const run = runs[key];
    const colour = colours[key];
    datasets.push({ label: "RPS #" + run.id, yAxisID: "y", borderColor: colour, backgroundColor: colour,
      data: run.series.map((s) => ({ x: s.t, y: s.rps })) });
    datasets.push({ label: "P99 #" + run.id, yAxisID: "y1", borderColor: colour, backgroundColor: colour,
      borderDash: [6, 4], data: run.series.map((s) => ({ x: s.t, y: s.p99_ms })) });
  });
  window.labCompareChart = new window.Chart(canvas, {
    type: "line",
    data: { datasets: datasets.map((d) => Object.assign({ borderWidth: 2, pointRadius: 0, tension: 0.2,
      spanGaps: true }, d)) },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      scales: {
        x: { type: "linear", title: { display: true, text: "seconds" }, ticks: { maxTicksLimit: 8 } },
        y: { beginAtZero: true, position: "left", title: { display: true, text: "requests/s" } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
          title: { display: true, text: "P99 (ms)" } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
})();
