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

  // Phone menu: the button shows and hides the main links (CSS hides it on wide screens).
  const menuButton = document.querySelector(".menu-toggle");
  const menuLinks = document.getElementById("site-links");
  if (menuButton && menuLinks) {
    menuButton.hidden = false;
    menuButton.addEventListener("click", function () {
      const open = menuLinks.classList.toggle("open");
      menuButton.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // A form that comes back with errors: the first error takes focus and scrolls into view.
  const firstError = document.querySelector("main [aria-invalid=true], main .errorlist, main form [role=alert]");
  if (firstError) {
    if (!firstError.matches("input, select, textarea")) firstError.setAttribute("tabindex", "-1");
    const focusError = function () {
      firstError.focus({ preventScroll: true });
      firstError.scrollIntoView({ block: "center" });
    };
    // After load, so that nothing the browser does on load (restoring the scroll position) undoes it.
    if (document.readyState === "complete") focusError(); else window.addEventListener("load", focusError);
  }

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
    // A refused grade flag (404 not yours, 409 not shown yet, 429 daily cap) says why in place of the form.
    const target = e.detail.target;
    if ([404, 409, 429].includes(e.detail.xhr.status) && target && target.classList.contains("grade-flag")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // Nothing lost: a form marked data-retry (answers, card ratings) whose post fails for a moment (503 while
  // the database is away, or no connection) says "Not saved, retrying" and is sent again, exactly as it was
  // first sent, with a growing delay until the server has it. The same idempotency key (answers) or card
  // version (ratings) goes with every retry, so the server stores it once.
  const RETRY_DELAYS_S = [1, 2, 4, 8, 15];
  const retries = new WeakMap();  // form -> {formData, path, verb, target, swap, attempt, timer}
  const newKey = function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  };
  const retryForm = function (elt) { return elt && elt.closest ? elt.closest("form[data-retry]") : null; };
  const retryStatus = function (form, message) {
    const status = form.querySelector("[data-retry-status]");
    if (!status) return;
    status.textContent = message || "";
    status.hidden = !message;
  };

  document.body.addEventListener("htmx:configRequest", function (e) {
    const form = retryForm(e.detail.elt);
    if (!form) return;
    const pending = retries.get(form);
    const data = e.detail.formData;
    if (pending && pending.resending) {
      // A retry: exactly what was sent the first time (the learner may have typed on since).
      pending.resending = false;
      Array.from(new Set(Array.from(data.keys()))).forEach(function (name) { data.delete(name); });
      pending.formData.forEach(function (value, name) { data.append(name, value); });
      return;
    }
    if (pending) clearTimeout(pending.timer);  // a new submission replaces one still being retried
    if (form.elements.idempotency_key) data.set("idempotency_key", newKey());
    const copy = new FormData();
    data.forEach(function (value, name) { copy.append(name, value); });
    retries.set(form, { formData: copy, path: e.detail.path, verb: e.detail.verb, target: e.detail.target,
                        swap: form.getAttribute("hx-swap") || "innerHTML", attempt: 0, timer: null });
    retryStatus(form, "");
  });

  document.body.addEventListener("htmx:afterRequest", function (e) {
    const form = retryForm(e.detail.elt);
    const pending = form && retries.get(form);
    if (!pending) return;
    const status = e.detail.xhr ? e.detail.xhr.status : 0;
    if (e.detail.successful || (status !== 0 && status !== 502 && status !== 503 && status !== 504)) {
      retries.delete(form);  // stored, or refused for a reason a retry would not change (shown as usual)
      retryStatus(form, "");
      return;
    }
    const delay = RETRY_DELAYS_S[Math.min(pending.attempt, RETRY_DELAYS_S.length - 1)];
    pending.attempt += 1;
    retryStatus(form, "Not saved, retrying in " + delay + " s… (" +
      (status ? "the site is unavailable for a moment" : "the connection dropped") + "). Keep this page open.");
    pending.timer = setTimeout(function () {
      if (retries.get(form) !== pending) return;
      pending.resending = true;
      retryStatus(form, "Not saved, retrying now…");
      window.htmx.ajax(pending.verb.toUpperCase(), pending.path,
                       { source: form, target: pending.target, swap: pending.swap });
    }, delay * 1000);
  });

  // Bar chart of scores by topic on the results page.
  const data = document.getElementById("topic-chart-data");
  const canvas = document.getElementById("topic-chart");
  if (data && canvas && window.Chart) {
    const d = JSON.parse(data.textContent);
    new window.Chart(canvas, {
      type: "bar",
      // minBarLength: a 0% topic still shows a sliver beside its "0%" label instead of vanishing.
      data: { labels: d.labels, datasets: [{ label: "Score (%)", data: d.scores, backgroundColor: "#0172ad", minBarLength: 6 }] },
      options: { maintainAspectRatio: false, indexAxis: "y", animation: false, scales: { x: { min: 0, max: 100 } },
                 plugins: { legend: { display: false } } },
      plugins: window.bpValueLabels ? [window.bpValueLabels] : [],
    });
  }
})();
