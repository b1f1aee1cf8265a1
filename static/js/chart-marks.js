// Marks on a finished run's charts: warm-up and ramp seconds shaded, a vertical line at the knee and at the
// first sustained SLO breach, and a dashed line at the plateau. Chart.js has no annotations built in; a chart
// opts in with `plugins: [window.bpRunMarks]` and `options.plugins.bpRunMarks = {seconds, bands, lines,
// levels}`. `seconds` holds each x label's time, so marks given in seconds land between the right points.
// What was drawn is kept on the chart as `$marks`, so a test can read what a learner sees.
(function () {
  "use strict";

  // The x pixel of a time in seconds, interpolated between the samples' times (the x axis is by sample).
  function xFor(chart, seconds, at) {
    if (!seconds.length) return null;
    let i = 0;
    while (i < seconds.length - 1 && seconds[i + 1] <= at) i += 1;
    let index = i;
    if (at < seconds[0]) index = 0;
    else if (i < seconds.length - 1 && seconds[i + 1] > seconds[i]) {
      index = i + (at - seconds[i]) / (seconds[i + 1] - seconds[i]);
    }
    return chart.scales.x.getPixelForValue(index);
  }

  function label(ctx, text, x, y, align) {
    ctx.save();
    ctx.font = "600 11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    ctx.textAlign = align || "left";
    ctx.textBaseline = "top";
    const width = ctx.measureText(text).width;
    const left = align === "right" ? x - width : x;
    ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
    ctx.fillRect(left - 2, y - 1, width + 4, 14);
    ctx.fillStyle = "#1d2532";
    ctx.fillText(text, x, y);
    ctx.restore();
  }

  window.bpRunMarks = {
    id: "bpRunMarks",
    beforeDatasetsDraw: function (chart, args, options) {
      const area = chart.chartArea;
      const seconds = options.seconds || [];
      const drawn = [];
      const ctx = chart.ctx;
      ctx.save();
      (options.bands || []).forEach(function (band) {
        const from = xFor(chart, seconds, band.from);
        const to = xFor(chart, seconds, band.to);
        if (from === null || to === null || to <= from) return;
        ctx.fillStyle = band.kind === "warmup" ? "rgba(107, 114, 128, 0.22)" : "rgba(107, 114, 128, 0.10)";
        ctx.fillRect(Math.max(from, area.left), area.top, Math.min(to, area.right) - Math.max(from, area.left),
          area.bottom - area.top);
        drawn.push({ kind: band.kind, label: band.label, from: band.from, to: band.to });
      });
      ctx.restore();
      chart.$marks = drawn;
    },
    afterDatasetsDraw: function (chart, args, options) {
      const area = chart.chartArea;
      const seconds = options.seconds || [];
      const ctx = chart.ctx;
      const drawn = chart.$marks || [];
      ctx.save();
      (options.bands || []).forEach(function (band) {
        const from = xFor(chart, seconds, band.from);
        if (from !== null && band.label && band.kind === "warmup") label(ctx, band.label, Math.max(from, area.left) + 3, area.top + 2);
      });
      (options.levels || []).forEach(function (level) {
        const y = chart.scales.y.getPixelForValue(level.value);
        if (y < area.top || y > area.bottom) return;
        ctx.strokeStyle = level.color || "#1e7b34";
        ctx.setLineDash([3, 3]);
        ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(area.left, y); ctx.lineTo(area.right, y); ctx.stroke();
        label(ctx, level.label, area.right - 3, y - 15, "right");
        drawn.push({ kind: "level", label: level.label, value: level.value });
      });
      (options.lines || []).forEach(function (line, n) {
        const x = xFor(chart, seconds, line.at);
        if (x === null || x < area.left || x > area.right) return;
        ctx.strokeStyle = line.color || "#1d2532";
        ctx.setLineDash(line.dash || [6, 3]);
        ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(x, area.top); ctx.lineTo(x, area.bottom); ctx.stroke();
        const right = x > (area.left + area.right) / 2;
        label(ctx, line.label, right ? x - 4 : x + 4, area.top + 18 + 16 * n, right ? "right" : "left");
        drawn.push({ kind: line.kind, label: line.label, at: line.at });
      });
      ctx.restore();
      chart.$marks = drawn;
    },
  };
})();
