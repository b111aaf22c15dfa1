// Media arrive after the universe: poll the universe's asset status (ETag/304) and put each
// picture, narration and download link in place as it becomes ready, without a reload.
// Every 3 s while generating (15 s in a hidden tab); it stops when nothing is pending.
(function () {
  "use strict";
  var FAST_MS = 3000, HIDDEN_MS = 15000, MAX_BACKOFF_MS = 60000;
  var source = document.querySelector("[data-assets-url]");
  if (!source) return;
  var url = source.dataset.assetsUrl, etag = null, timer = null, failures = 0;

  function delay() {
    if (failures) return Math.min(MAX_BACKOFF_MS, FAST_MS * Math.pow(2, failures));
    return document.hidden ? HIDDEN_MS : FAST_MS;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, delay());
  }

  function element(tag, attributes) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  function fill(slot, entry) {
    var kind = slot.dataset.assetKind;
    if (kind === "image") {
      var img = slot.querySelector("img");
      if (!img) {
        slot.textContent = "";
        img = element("img", { alt: slot.dataset.assetAlt || "", class: slot.closest(".card-figure") ? "card-image" : "" });
        slot.appendChild(img);
      }
      img.src = entry.url;
    } else if (kind === "audio") {
      slot.textContent = "";
      var audio = element("audio", { controls: "", preload: "none", src: entry.url });
      if (entry.files && entry.files.captions) {
        audio.appendChild(element("track", { kind: "captions", srclang: "en", label: "Captions", src: entry.files.captions, default: "" }));
      }
      slot.appendChild(audio);
    } else if (kind === "link") {
      slot.textContent = " · ";
      var link = element("a", { href: entry.url, download: "" });
      link.textContent = "Download the storybook (PDF)";
      slot.appendChild(link);
    }
  }

  function apply(status) {
    var entries = status.assets || {};
    document.querySelectorAll("[data-asset-key]").forEach(function (slot) {
      var entry = entries[slot.dataset.assetKey];
      if (!entry || slot.dataset.assetStatus === entry.status) return;
      slot.dataset.assetStatus = entry.status;
      if (entry.status === "ready" && entry.url) fill(slot, entry);
    });
    var keys = Object.keys(entries), ready = keys.filter(function (key) {
      return entries[key].status === "ready" || entries[key].status === "skipped";
    }).length;
    var line = document.querySelector("[data-assets-progress]");
    if (line) {
      line.textContent = status.overall === "generating"
        ? "Making the pictures, narration and storybook: " + ready + " of " + keys.length + " ready."
        : status.overall === "ready" ? "All media are ready."
        : status.overall === "partial" ? ready + " of " + keys.length + " media are ready; some could not be made."
        : "The media could not be made.";
    }
    source.dataset.assetsOverall = status.overall;
  }

  function poll() {
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, credentials: "same-origin" }).then(function (response) {
      if (response.status === 304) return null;
      if (!response.ok) throw new Error("HTTP " + response.status);
      etag = response.headers.get("ETag");
      return response.json();
    }).then(function (status) {
      failures = 0;
      if (status) apply(status);
      if (source.dataset.assetsOverall === "generating") schedule();
    }).catch(function () {
      failures += 1;
      schedule();
    });
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) { clearTimeout(timer); poll(); } });
  schedule();
})();
