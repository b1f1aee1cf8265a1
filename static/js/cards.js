// Flashcards: keyboard review (Space/Enter flips, 1-4 rate, u undoes), the stats charts, and the settings
// page's time zone button. The pages work without this file: forms post and the answer opens on click.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function activates(el) {
    // Space and Enter already do something on these; leave them alone.
    return el && (el.tagName === "BUTTON" || el.tagName === "SUMMARY" || el.tagName === "A");
  }

  let shownAt = Date.now();

  function flip(back) {
    back.open = !back.open;
  }

  // However the answer opens (key, click, tap), it scrolls to the top of the screen; the rating buttons
  // stay pinned to the bottom (sticky, in cards.css) while it is read.
  document.addEventListener("toggle", function (e) {
    const back = e.target;
    if (back.id !== "card-back" || !back.open) return;
    const summary = back.querySelector("summary");
    if (summary) summary.scrollIntoView({ block: "start" });
  }, true);

  document.addEventListener("keydown", function (e) {
    const review = document.getElementById("review");
    if (!review || e.altKey || e.ctrlKey || e.metaKey || typing(document.activeElement)) return;
    const back = review.querySelector("#card-back");
    if (e.key === " " || e.key === "Enter") {
      if (!back || activates(document.activeElement)) return;
      e.preventDefault();
      flip(back);
      return;
    }
    if (/^[1-4]$/.test(e.key)) {
      if (!back || !back.open) return;
      const button = back.querySelector('button[data-rating="' + e.key + '"]');
      if (button && !button.disabled) { e.preventDefault(); button.click(); }
      return;
    }
    if (e.key === "u" || e.key === "U") {
      const undo = review.querySelector("[data-undo]");
      if (undo && !undo.disabled) { e.preventDefault(); undo.click(); }
    }
  });

  // Record how long the card took to answer (sent with the rating; optional on the server).
  document.addEventListener("submit", function (e) {
    const form = e.target.closest && e.target.closest("[data-rating-form]");
    if (form && form.elements.duration_ms) form.elements.duration_ms.value = String(Date.now() - shownAt);
  }, true);

  // After a rating or undo, the new card takes focus so keyboards and screen readers follow.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    const review = document.getElementById("review");
    if (!review || !review.contains(e.detail.elt)) return;
    shownAt = Date.now();
    const card = review.querySelector("#flashcard");
    if (card) card.focus({ preventScroll: true });
  });
  // A rejected rating comes back as 400 with a message in the review section: show it.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status === 400 && e.detail.target && e.detail.target.id === "review") {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // Settings: fill in the browser's time zone.
  const zoneButton = document.querySelector("[data-browser-zone]");
  const zoneSelect = document.querySelector("select[name=time_zone]");
  if (zoneButton && zoneSelect && window.Intl) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && zoneSelect.querySelector('option[value="' + zone + '"]')) {
      zoneButton.hidden = false;
      zoneButton.textContent = "Use this browser's time zone (" + zone + ")";
      zoneButton.addEventListener("click", function () { zoneSelect.value = zone; zoneSelect.focus(); });
    }
  }

  // Stats: due forecast (bars) and cards by state (doughnut).
  const data = document.getElementById("cards-stats-data");
  if (data && window.Chart) {
    const stats = JSON.parse(data.textContent);
    const style = getComputedStyle(document.documentElement);
    const text = style.getPropertyValue("--pico-color").trim() || "#373c44";
    window.Chart.defaults.color = text;
    const forecast = document.getElementById("forecast-chart");
    if (forecast) {
      new window.Chart(forecast, {
        type: "bar",
        data: {
          labels: stats.forecast.map(function (d) { return d.date.slice(5); }),
          datasets: [{ label: "Cards due", data: stats.forecast.map(function (d) { return d.count; }), backgroundColor: "#0172ad" }],
        },
        options: { maintainAspectRatio: false, plugins: { legend: { display: false } },
                   scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    const states = document.getElementById("states-chart");
    if (states) {
      const s = stats.cards_by_state;
      new window.Chart(states, {
        type: "doughnut",
        data: {
          labels: ["New", "Learning", "Review", "Relearning"],
          datasets: [{ data: [s.new, s.learning, s.review, s.relearning],
                       backgroundColor: ["#8891aa", "#9a6700", "#1e7b34", "#b42318"] }],
        },
        options: { maintainAspectRatio: false },
      });
    }
  }
})();
