// Mock interviews: clocks, autosave with a local draft, the interviewer's live view, notes and charts.
// Every page works without this file: forms post normally and the server enforces the clocks.
(function () {
  "use strict";

  const csrf = function (form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };
  const two = function (n) { return String(n).padStart(2, "0"); };
  const clockText = function (seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h ? h + ":" + two(m) + ":" + two(r) : m + ":" + two(r);
  };
  const timeOfDay = function (iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  };

  // Clocks: count down from the server's deadlines; the server decides what is late.
  const bar = document.querySelector("[data-clocks]");
  if (bar) {
    const offset = Date.parse(bar.dataset.serverNow) - Date.now();
    const clocks = Array.from(bar.querySelectorAll(".clock[data-deadline]"));
    const totalNotice = document.querySelector("[data-time-up-notice]");
    const questionNotice = document.querySelector("[data-question-time-notice]");
    const tick = function () {
      const now = Date.now() + offset;
      let totalUp = false, questionUp = false;
      clocks.forEach(function (clock) {
        const left = (Date.parse(clock.dataset.deadline) - now) / 1000;
        clock.querySelector("[data-clock-text]").textContent = left > 0 ? clockText(left) : "time is up";
        clock.classList.toggle("low", left > 0 && left <= 60);
        clock.classList.toggle("over", left <= 0);
        if (left <= 0) { if ("total" in clock.dataset) totalUp = true; else questionUp = true; }
      });
      if (totalNotice) totalNotice.hidden = !totalUp;
      if (questionNotice) questionNotice.hidden = !(questionUp && !totalUp);
      if (totalUp) document.querySelectorAll("[data-next]").forEach(function (b) { b.hidden = true; });
    };
    tick();
    setInterval(tick, 1000);
  }

  // Autosave of the candidate's answer: a few seconds after typing stops, on leaving the field, and on a
  // timer while anything is unsaved. A draft is kept in localStorage until the server has it.
  const form = document.querySelector("form[data-autosave]");
  if (form) {
    const text = form.querySelector("textarea[name=text]");
    const status = document.getElementById("save-status");
    const key = "bp-interview-" + form.dataset.interview + "-" + form.dataset.position +
      (form.dataset.part ? "-" + form.dataset.part : "");
    let saved = text.dataset.savedText !== undefined ? text.dataset.savedText : text.value;
    let saving = null, debounce = null, submitting = false, closed = false;
    // While saves fail (503 while the database is away, or no connection), retry with a growing delay.
    const RETRY_DELAYS_S = [1, 2, 4, 8, 15];
    let failures = 0, retryTimer = null;
    const retryLater = function (why) {
      const delay = RETRY_DELAYS_S[Math.min(failures, RETRY_DELAYS_S.length - 1)];
      failures += 1;
      show("Not saved, retrying in " + delay + " s (" + why + "). Your draft is kept in this browser.");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(save, delay * 1000);
    };

    const show = function (message) { status.textContent = message; };
    if (status.dataset.savedAt) {
      show("Saved " + timeOfDay(status.dataset.savedAt) + (status.dataset.late ? " · " + status.dataset.late : ""));
    }
    const keepDraft = function () {
      try { localStorage.setItem(key, JSON.stringify({ text: text.value, at: Date.now() })); } catch (e) { /* full or private */ }
    };
    const dropDraft = function () { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } };

    const save = function () {
      if (closed || submitting || text.value === saved) return Promise.resolve();
      if (saving) return saving.then(save);
      const sent = text.value;
      const body = new FormData(form);
      show("Saving…");
      clearTimeout(retryTimer);
      saving = fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf(form) },
      }).then(function (response) {
        return response.json().catch(function () { return {}; })
          .then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
      }).then(function (r) {
        if (r.ok) {
          saved = sent;
          failures = 0;
          if (text.value === sent) dropDraft();
          show("Saved " + timeOfDay(r.data.saved_at) + (r.data.is_late ? " · late by " + clockText(r.data.late_by_s) : ""));
        } else if (r.status === 409) {
          closed = true;
          show(r.data.error + " Reload the page to continue.");
        } else if (r.status === 502 || r.status === 503 || r.status === 504) {
          retryLater("the site is unavailable for a moment");
        } else {
          show("Not saved: " + (r.data.error || "the server refused it") + ".");
        }
      }).catch(function () {
        retryLater("the connection dropped");
      }).finally(function () { saving = null; });
      return saving;
    };

    // A draft the server never received (a dropped connection, a closed tab) comes back on reload.
    try {
      const draft = JSON.parse(localStorage.getItem(key) || "null");
      if (draft && typeof draft.text === "string" && draft.text !== text.value) {
        const serverAt = Date.parse(status.dataset.savedAt || "") || 0;
        if (draft.at > serverAt) {
          text.value = draft.text;
          show("Restored your unsaved draft; saving it now.");
          save();
        } else {
          dropDraft();
        }
      }
    } catch (e) { /* no storage */ }

    text.addEventListener("input", function () {
      keepDraft();
      clearTimeout(debounce);
      debounce = setTimeout(save, 2000);
    });
    text.addEventListener("blur", save);
    setInterval(save, 5000);
    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("pagehide", function () {
      if (!submitting && !closed && text.value !== saved && navigator.sendBeacon) {
        navigator.sendBeacon(form.action, new FormData(form));
      }
    });
    window.addEventListener("online", save);
  }

  // Copy the interviewer's link.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      const input = document.querySelector(button.dataset.copy);
      input.select();
      const done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      else { document.execCommand("copy"); done(); }
    });
  });

  // The interviewer's notes: autosaved like the answer.
  const notesForm = document.querySelector("form[data-notes-autosave]");
  let flushNotes = function () { return Promise.resolve(); };
  if (notesForm) {
    const notes = notesForm.querySelector("textarea[name=notes]");
    const status = document.getElementById("notes-status");
    let saved = notes.value, pending = null, debounce = null;
    flushNotes = function () {
      if (notes.value === saved) return pending || Promise.resolve();
      if (pending) return pending.then(flushNotes);
      const sent = notes.value;
      status.textContent = "Saving…";
      pending = fetch(notesForm.action, {
        method: "POST", body: new FormData(notesForm), credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf(notesForm) },
      }).then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
        .then(function (r) {
          if (r[0]) { saved = sent; status.textContent = "Saved " + timeOfDay(r[1].saved_at); }
          else status.textContent = "Not saved: " + (r[1].error || "the server refused it") + ".";
        })
        .catch(function () { status.textContent = "Not saved: the connection dropped; retrying."; })
        .finally(function () { pending = null; });
      return pending;
    };
    notes.addEventListener("input", function () { clearTimeout(debounce); debounce = setTimeout(flushNotes, 1500); });
    notes.addEventListener("blur", flushNotes);
    setInterval(flushNotes, 5000);
  }

  // The interviewer's page follows the candidate: when they move on (or finish), save notes and reload.
  const live = document.getElementById("live");
  if (live) {
    let leaving = false;
    document.body.addEventListener("htmx:beforeRequest", function (e) {
      if (leaving && e.detail.elt === live) e.preventDefault();
    });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail.target !== live) return;
      const inner = live.querySelector("[data-current]");
      if (!inner) return;
      const moved = live.dataset.following === "1" && inner.dataset.current !== live.dataset.shown;
      const finished = inner.dataset.finished !== live.dataset.finished;
      if (moved || finished) {
        leaving = true;
        flushNotes().finally(function () {
          window.location.href = moved ? window.location.pathname : window.location.href;
        });
      }
    });
  }

  // Print: open every folded section first, so the paper copy has the answers and model answers.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  // Print button on the scorecard.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Charts: score by competency (scorecard) and the trend of overall scores (history).
  if (window.Chart) {
    const competency = document.getElementById("competency-chart-data");
    const canvas = document.getElementById("competency-chart");
    if (competency && canvas) {
      const d = JSON.parse(competency.textContent);
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: d.labels, datasets: [{ label: "Score (%)", data: d.scores, backgroundColor: "#0172ad", maxBarThickness: 36,
                                                minBarLength: 6 }] },
        options: { maintainAspectRatio: false, indexAxis: "y", animation: false,
                   scales: { x: { min: 0, max: 100, title: { display: true, text: "Score (%)" } } },
                   plugins: { legend: { display: false } } },
        plugins: window.bpValueLabels ? [window.bpValueLabels] : [],
      });
    }
    const trend = document.getElementById("trend-chart-data");
    const trendCanvas = document.getElementById("trend-chart");
    if (trend && trendCanvas) {
      const d = JSON.parse(trend.textContent);
      new window.Chart(trendCanvas, {
        type: "line",
        data: { labels: d.labels, datasets: [{ label: "Overall score (%)", data: d.scores, borderColor: "#0172ad",
                                                backgroundColor: "#0172ad", tension: 0.2 }] },
        options: { maintainAspectRatio: false, animation: false,
                   scales: { y: { min: 0, max: 100, title: { display: true, text: "Score (%)" } } },
                   plugins: { legend: { display: false } } },
      });
    }
  }
})();
