// The live timeline: adaptive polling of the page's own fragment with ETag/304.
// Fast while the job runs, slow while the tab is hidden, and it stops at a terminal state.
(function () {
  "use strict";
  var TERMINAL = { completed: true, failed: true, cancelled: true };
  var FAST_MS = 1000, HIDDEN_MS = 10000, MAX_BACKOFF_MS = 30000;
  var etag = null, timer = null, failures = 0;

  function root() { return document.getElementById("timeline"); }

  // The width comes from data-progress: the content security policy refuses style attributes.
  function paintProgress() {
    var bar = document.getElementById("progress-bar");
    if (bar) bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0)) + "%";
  }

  function delay() {
    if (failures) return Math.min(MAX_BACKOFF_MS, FAST_MS * Math.pow(2, failures));
    return document.hidden ? HIDDEN_MS : FAST_MS;
  }

  function schedule() {
    clearTimeout(timer);
    if (!TERMINAL[root().dataset.status]) timer = setTimeout(poll, delay());
  }

  function swap(fresh) {
    var current = root();
    if (current.dataset.status !== fresh.dataset.status) {
      // A new state brings new actions (retry, the universe link): take the whole section.
      var focused = document.activeElement && document.activeElement.id;
      fresh.querySelectorAll("[data-stage]").forEach(function (stage) {
        var old = current.querySelector('[data-stage="' + stage.dataset.stage + '"]');
        if (old && old.dataset.state !== stage.dataset.state) stage.classList.add("changed");
      });
      current.replaceWith(fresh);
      paintProgress();
      if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
      return;
    }
    // Same state: replace only the stages that changed, so the rest keep focus and position.
    fresh.querySelectorAll("[data-stage]").forEach(function (stage) {
      var old = current.querySelector('[data-stage="' + stage.dataset.stage + '"]');
      if (old && old.innerHTML !== stage.innerHTML) {
        if (old.dataset.state !== stage.dataset.state) stage.classList.add("changed");
        old.replaceWith(stage.cloneNode(true));
      }
    });
    var bar = current.querySelector("#progress-bar");
    var freshBar = fresh.querySelector("#progress-bar");
    if (bar && freshBar) {
      bar.dataset.progress = freshBar.dataset.progress;
      paintProgress();
      bar.parentElement.setAttribute("aria-valuenow", freshBar.parentElement.getAttribute("aria-valuenow"));
    }
    ["#job-status", "#status-line", "#timeline-heading"].forEach(function (selector) {
      var a = current.querySelector(selector), b = fresh.querySelector(selector);
      if (a && b && a.outerHTML !== b.outerHTML) a.replaceWith(b.cloneNode(true));
    });
    current.dataset.startedAt = fresh.dataset.startedAt;
    current.dataset.finishedAt = fresh.dataset.finishedAt;
  }

  function poll() {
    var headers = { "X-Requested-With": "fetch" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(root().dataset.fragmentUrl, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error("HTTP " + response.status);
        etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (html) {
        failures = 0;
        if (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#timeline");
          if (fresh) swap(fresh);
        }
        schedule();
      })
      .catch(function () { failures += 1; schedule(); });
  }

  function tickElapsed() {
    var el = document.getElementById("elapsed"), data = root().dataset;
    if (!el || !data.startedAt) return;
    var end = data.finishedAt ? new Date(data.finishedAt) : new Date();
    var seconds = Math.max(0, Math.round((end - new Date(data.startedAt)) / 1000));
    el.textContent = seconds < 60 ? seconds + " s" : Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  setInterval(tickElapsed, 1000);
  tickElapsed();
  paintProgress();
  schedule();
})();
