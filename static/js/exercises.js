// Locustfile exercises: the editor (CodeMirror when its bundle loaded, else the plain textarea with Tab
// indentation), Run with Ctrl+Enter, and a submission followed live: status, progress, Locust's output
// and the checks, polled from the API once a second. Without JavaScript the form posts and the
// submission page refreshes itself (a <noscript> meta refresh).
(function () {
  "use strict";
  const ACTIVE = ["queued", "running"];
  const MESSAGES = {
    queued: "Waiting for the task worker…",
    running: "Your locustfile is running in the sandbox…",
    passed: "Every check passed.",
    failed: "Some checks failed: read what each one saw.",
    error: "It did not run to the end.",
  };
  const LABELS = { queued: "Queued", running: "Running", passed: "Passed", failed: "Failed", error: "Error" };

  function setStatus(root, status) {
    const badge = root.querySelector('[data-live="status"]');
    if (badge) {
      badge.textContent = LABELS[status] || status;
      badge.className = "status status-" + status;
    }
  }

  function renderChecks(list, checks) {
    if (!list) return;
    checks.forEach(function (check) {
      const item = list.querySelector('[data-check="' + CSS.escape(check.id) + '"]');
      if (!item) return;
      const state = check.passed === null || check.passed === undefined ? "pending" : check.passed ? "yes" : "no";
      item.dataset.passed = state;
      item.querySelector(".check-mark").textContent = { pending: "○", yes: "✔", no: "✘" }[state];
      item.querySelector(".check-verdict").textContent =
        { pending: "not checked yet:", yes: "passed:", no: "failed:" }[state];
      item.querySelector(".check-message").textContent = check.message || "";
    });
  }

  function resetChecks(list) {
    if (!list) return;
    list.querySelectorAll(".check").forEach(function (item) {
      renderChecks(list, [{ id: item.dataset.check, passed: null, message: "" }]);
    });
  }

  // Poll one submission until it ends; `onEnd` gets the last state.
  function follow(apiUrl, root, onEnd) {
    const output = root.querySelector("#live-output") || document.getElementById("live-output");
    const progress = root.querySelector("#run-progress") || document.getElementById("run-progress");
    const message = root.querySelector('[data-live="message"]');
    const checks = document.getElementById("checks");
    let failures = 0;
    function tick() {
      fetch(apiUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          setStatus(root, data.status);
          if (message) message.textContent = data.status === "error" && data.reason ? data.reason : MESSAGES[data.status] || "";
          if (progress) progress.value = data.progress;
          if (output && output.textContent !== data.output) {
            const atEnd = output.scrollTop + output.clientHeight >= output.scrollHeight - 8;
            output.textContent = data.output;
            if (atEnd) output.scrollTop = output.scrollHeight;
          }
          renderChecks(checks, data.checks || []);
          if (ACTIVE.indexOf(data.status) >= 0) {
            window.setTimeout(tick, 1000);
          } else if (onEnd) {
            onEnd(data);
          }
        })
        .catch(function () {
          failures += 1;
          if (message) message.textContent = "Lost contact with the site; retrying…";
          window.setTimeout(tick, Math.min(10000, 1000 * failures));
        });
    }
    tick();
  }

  // -- the submission page -------------------------------------------------------------------------
  const page = document.getElementById("submission");
  if (page && ACTIVE.indexOf(page.dataset.status) >= 0) {
    follow(page.dataset.api, page, function (data) {
      if (data.status === "passed" || data.status === "error") window.location.reload();
    });
  }

  // -- the exercise page ---------------------------------------------------------------------------
  const form = document.getElementById("exercise-form");
  const textarea = document.getElementById("locustfile");
  if (!form || !textarea) return;
  const runButton = document.getElementById("run-button");
  let editor = null;
  if (window.BPCodeMirror) {
    editor = window.BPCodeMirror.create(textarea, function () { form.requestSubmit(); });
  } else {
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        const start = textarea.selectionStart;
        textarea.setRangeText("    ", start, textarea.selectionEnd, "end");
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
  function source() { return editor ? editor.getValue() : textarea.value; }

  const live = document.getElementById("live");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (runButton.disabled) return;
    textarea.value = source();
    runButton.disabled = true;
    const previous = document.getElementById("submit-error");
    if (previous) previous.remove();
    const body = new FormData(form);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                         headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) throw new Error(result.data.detail || "The run could not start.");
        live.hidden = false;
        resetChecks(document.getElementById("checks"));
        live.querySelector("#live-output").textContent = "";
        const link = live.querySelector('[data-live="link"]');
        link.href = result.data.url;
        link.textContent = "Submission #" + result.data.id + " on its own page";
        follow(result.data.api_url, live, function (data) {
          runButton.disabled = false;
          if (data.status === "passed") {
            const solution = document.getElementById("solution");
            if (solution) solution.open = true;
          }
        });
      })
      .catch(function (error) {
        runButton.disabled = false;
        const notice = document.createElement("p");
        notice.className = "notice notice-error";
        notice.id = "submit-error";
        notice.setAttribute("role", "alert");
        notice.textContent = error.message;
        form.prepend(notice);
      });
  });
})();
