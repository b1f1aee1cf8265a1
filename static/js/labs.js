// A lab run, live: poll the run's JSON every second, update the numbers and the Locust-like charts.
// Without JavaScript the page refreshes itself every 2 s instead (a <noscript> meta refresh).
(function () {
  "use strict";
  const dataEl = document.getElementById("lab-run-data");
  const liveEl = document.getElementById("lab-run-live");
  if (!dataEl || !liveEl) return;
  const chartData = JSON.parse(dataEl.textContent);
  const live = JSON.parse(liveEl.textContent);
  const ACTIVE = ["queued", "starting", "running"];
  const SATURATION_CPU = 90;
  const MESSAGES = {
    queued: "Waiting for the task worker to pick this run up…",
    starting: "Starting the model API and Locust…",
    running: "Load is running.",
  };
  const number = new Intl.NumberFormat("en-GB", { maximumSignificantDigits: 3 });
  const whole = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });
  const formats = {
    users: (v) => whole.format(v),
    rps: (v) => number.format(v),
    failures_per_s: (v) => number.format(v),
    p50_ms: (v) => number.format(v) + " ms",
    p95_ms: (v) => number.format(v) + " ms",
    p99_ms: (v) => number.format(v) + " ms",
    requests: (v) => whole.format(v),
    generator_cpu: (v) => number.format(v) + "%",
    api_cpu: (v) => number.format(v) + "%",
  };
  const marks = chartData.marks || {};
  const seconds = []; // each chart point's time: where the marks of a finished run go
  const wholeRun = document.querySelector('.tiles[data-scope="whole-run"]') !== null;
  let lastIndex = -1;
  let hotSeconds = 0;
  let failures = 0;
  const queuedSince = Date.now();

  // The marks of a finished run on one chart: warm-up shaded, the knee and the first sustained breach.
  function runMarks(levels) {
    const lines = [];
    if (marks.knee_s !== null && marks.knee_s !== undefined) {
      lines.push({ kind: "knee", at: marks.knee_s, label: "knee" + (marks.knee_users ? " (" + marks.knee_users + " users)" : ""),
        color: "#9a6700" });
    }
    if (marks.breach_s !== null && marks.breach_s !== undefined) {
      lines.push({ kind: "breach", at: marks.breach_s, color: "#b42318", dash: [2, 2],
        label: "SLO breached" + (marks.breach_users ? " (" + marks.breach_users + " users)" : "") });
    }
    const bands = (marks.bands || []).map((b) => Object.assign({ label: b.kind === "warmup" ? "warm-up" : "" }, b));
    return { seconds: seconds, bands: bands, lines: lines, levels: levels || [] };
  }

  function lineChart(id, datasets, yTitle, levels) {
    const canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return null;
    const marked = window.bpRunMarks && Object.keys(marks).length > 0;
    return new window.Chart(canvas, {
      plugins: marked ? [window.bpRunMarks] : [],
      type: "line",
      data: { labels: [], datasets: datasets.map((d) => Object.assign({
        data: [], borderWidth: 2, pointRadius: 0, tension: 0.2, spanGaps: true,
      }, d)) },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { title: { display: true, text: "seconds" }, ticks: { maxTicksLimit: 8 } },
          y: { beginAtZero: true, title: { display: true, text: yTitle } },
        },
        plugins: { legend: { position: "bottom" }, bpRunMarks: marked ? runMarks(levels) : {} },
      },
    });
  }

  const latencySets = [
    { label: "P50", borderColor: "#0172ad", backgroundColor: "#0172ad" },
    { label: "P95", borderColor: "#9a6700", backgroundColor: "#9a6700" },
    { label: "P99", borderColor: "#b42318", backgroundColor: "#b42318" },
  ];
  if (chartData.slo_ms) {
    latencySets.push({ label: "SLO (P99)", borderColor: "#6b7280", borderDash: [6, 4], borderWidth: 1 });
  }
  const charts = {
    rps: lineChart("chart-rps", [
      { label: "RPS", borderColor: "#1e7b34", backgroundColor: "#1e7b34" },
      { label: "Failures/s", borderColor: "#b42318", backgroundColor: "#b42318" },
    ], "requests/s", marks.plateau_rps ? [{ value: marks.plateau_rps, color: "#1e7b34",
      label: "plateau " + number.format(marks.plateau_rps) + " req/s" }] : []),
    latency: lineChart("chart-latency", latencySets, "ms"),
    users: lineChart("chart-users", [{ label: "Users", borderColor: "#5c2d91", backgroundColor: "#5c2d91",
      stepped: true, tension: 0 }], "users"),
  };
  if (charts.users) charts.users.options.scales.y.ticks = { precision: 0 };
  // A streamed (LLM) run: TTFT, inter-token latency and tokens/s, each percentile chart with its SLO line.
  const llm = chartData.llm;
  function percentileSets(slo, sloLabel) {
    const sets = [
      { label: "P50", borderColor: "#0172ad", backgroundColor: "#0172ad" },
      { label: "P99", borderColor: "#b42318", backgroundColor: "#b42318" },
    ];
    if (slo) sets.push({ label: sloLabel, borderColor: "#6b7280", borderDash: [6, 4], borderWidth: 1 });
    return sets;
  }
  if (llm) {
    charts.ttft = lineChart("chart-ttft", percentileSets(llm.ttft_slo_ms, "SLO (TTFT)"), "ms");
    charts.itl = lineChart("chart-itl", percentileSets(llm.itl_slo_ms, "SLO (mean ITL)"), "ms");
    charts.tokens = lineChart("chart-tokens", [
      { label: "Tokens/s", borderColor: "#1e7b34", backgroundColor: "#1e7b34", yAxisID: "y" },
      { label: "Goodput (req/s)", borderColor: "#5c2d91", backgroundColor: "#5c2d91", yAxisID: "y2" },
    ], "tokens/s");
    if (charts.tokens) {
      charts.tokens.options.scales.y2 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
        title: { display: true, text: "good requests/s" } };
    }
  }
  window.labCharts = charts; // the browser tests read the chart data from here

  function push(chart, label, values) {
    if (!chart) return;
    chart.data.labels.push(label);
    values.forEach((v, i) => chart.data.datasets[i].data.push(v));
  }

  function addSamples(samples) {
    if (!samples.length) return;
    samples.forEach((s) => {
      if (s.index <= lastIndex) return;
      lastIndex = s.index;
      const label = Math.round(s.t) + " s";
      seconds.push(s.t);
      push(charts.rps, label, [s.rps, s.failures_per_s]);
      const latency = [s.p50_ms, s.p95_ms, s.p99_ms];
      if (chartData.slo_ms) latency.push(chartData.slo_ms);
      push(charts.latency, label, latency);
      push(charts.users, label, [s.users]);
      if (llm) {
        const ttft = [s.ttft_p50_ms, s.ttft_p99_ms];
        if (llm.ttft_slo_ms) ttft.push(llm.ttft_slo_ms);
        push(charts.ttft, label, ttft);
        const itl = [s.itl_p50_ms, s.itl_p99_ms];
        if (llm.itl_slo_ms) itl.push(llm.itl_slo_ms);
        push(charts.itl, label, itl);
        push(charts.tokens, label, [s.tokens_per_s, s.goodput_rps]);
      }
      if (s.users > 0 && s.generator_cpu !== null && s.generator_cpu > SATURATION_CPU) hotSeconds += 1;
    });
    Object.values(charts).forEach((c) => c && c.update("none"));
    const last = samples[samples.length - 1];
    // A finished run's tiles hold whole-run figures, never the last second's.
    if (!wholeRun) {
      Object.keys(formats).forEach((key) => {
        const el = document.querySelector('[data-stat="' + key + '"]');
        if (el) el.textContent = last[key] === null || last[key] === undefined ? "–" : formats[key](last[key]);
      });
    }
    const warning = document.querySelector('[data-live="saturation"]');
    if (warning && hotSeconds >= 2) warning.hidden = false;
  }

  function setText(name, text) {
    const el = document.querySelector('[data-live="' + name + '"]');
    if (el) el.textContent = text;
  }

  function update(run) {
    addSamples(run.samples || []);
    const progress = document.getElementById("run-progress");
    if (progress) progress.value = run.progress;
    const status = document.querySelector('[data-live="status"]');
    if (status) {
      status.textContent = run.status.charAt(0).toUpperCase() + run.status.slice(1);
      status.className = "status status-" + run.status;
    }
    document.getElementById("live").dataset.status = run.status;
    setText("elapsed", Math.round(run.elapsed_s) + " of " + run.config.duration_s + " s");
    let message = MESSAGES[run.status] || "";
    if (run.status === "queued" && Date.now() - queuedSince > 10000 && !(run.queue && run.queue.slots)) {
      message = "Still waiting for a task worker. Is the worker running (make run starts it)?";
    }
    if (run.cancel_requested && ACTIVE.includes(run.status)) message = "Cancelling…";
    setText("message", message);
    const place = document.querySelector('[data-live="queue"]');
    if (place) {
      place.hidden = !run.queue;
      place.textContent = run.queue ? run.queue.text : "";
    }
    const cancel = document.getElementById("cancel-run");
    if (cancel && run.cancel_requested) { cancel.disabled = true; cancel.textContent = "Cancelling…"; }
  }

  function poll() {
    fetch(live.api + "?since=" + lastIndex, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then((run) => {
        failures = 0;
        update(run);
        if (ACTIVE.includes(run.status)) {
          setTimeout(poll, 1000);
        } else {
          setText("message", "Finished. Loading the results…");
          setTimeout(() => window.location.reload(), 400);
        }
      })
      .catch(() => {
        failures += 1;
        if (failures > 10) { window.location.reload(); return; }
        setTimeout(poll, Math.min(5000, 1000 * failures));
      });
  }

  addSamples(chartData.samples || []);
  if (ACTIVE.includes(live.status)) setTimeout(poll, 500);
})();
