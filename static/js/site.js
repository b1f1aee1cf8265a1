// Keyboard shortcuts, the exam timer and charts. Every page works without this file.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && !["radio", "checkbox"].includes(el.type)) ||
      el.tagName === "SELECT" || el.isContentEditable);
  }

  document.addEventListener("keydown", function (e) {
    const form = document.querySelector("[data-answer-form]");
    // Ctrl/Cmd + Enter submits the answer from anywhere, text fields included.
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && form) {
      e.preventDefault();
      form.requestSubmit();
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey || typing(document.activeElement)) return;
    if (e.key === "/") {
      const search = document.querySelector("input[type=search]");
      if (search) { e.preventDefault(); search.focus(); }
      return;
    }
    if (/^[1-9]$/.test(e.key) && form) {
      const input = form.querySelector('input[data-key="' + e.key + '"]');
      if (input) {
        e.preventDefault();
        input.checked = input.type === "radio" ? true : !input.checked;
        input.focus();
      }
      return;
    }
    const link = document.querySelector('[data-shortcut="' + e.key + '"]');
    if (link) { e.preventDefault(); link.click(); }
  });

  // Exam timer: counts down locally; the server enforces the deadline.
  const timer = document.querySelector(".timer[data-remaining]");
  if (timer) {
    let remaining = parseInt(timer.dataset.remaining, 10);
    const text = timer.querySelector("[data-timer-text]");
    const show = function () {
      const m = Math.floor(remaining / 60), s = remaining % 60;
      text.textContent = m + ":" + String(s).padStart(2, "0");
      timer.classList.toggle("low", remaining <= 60);
    };
    show();
    const tick = setInterval(function () {
      remaining -= 1;
      if (remaining <= 0) { clearInterval(tick); window.location.reload(); return; }
      show();
    }, 1000);
  }

  // After an htmx answer, move focus to the feedback so screen readers and keyboards follow.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "feedback") {
      const article = e.detail.target.querySelector("article, [role=alert]");
      if (article) { article.setAttribute("tabindex", "-1"); article.focus({ preventScroll: false }); }
    }
  });
  // htmx swaps 4xx responses too: invalid answers come back as 400 with a message.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status === 400) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });

  // Bar chart of scores by topic on the results page.
  const data = document.getElementById("topic-chart-data");
  const canvas = document.getElementById("topic-chart");
  if (data && canvas && window.Chart) {
    const d = JSON.parse(data.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: "Score (%)", data: d.scores, backgroundColor: "#0172ad" }] },
      options: { maintainAspectRatio: false, indexAxis: "y", scales: { x: { min: 0, max: 100 } }, plugins: { legend: { display: false } } },
    });
  }
})();
