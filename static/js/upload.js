// Upload form: drag-and-drop onto the file field, and size/type hints before sending.
(function () {
  "use strict";
  var form = document.getElementById("new-transformation");
  if (!form) return;
  var input = document.getElementById("id_file");
  var zone = document.getElementById("dropzone");
  var hint = document.getElementById("file-hint");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var readable = /\.(fountain|txt|md|markdown|json)$/i;
  var later = /\.(pdf|pptx|html?|srt|vtt)$/i;

  function describe(file) {
    if (!file) { hint.textContent = ""; return true; }
    var mb = (file.size / 1048576).toFixed(1);
    if (file.size > maxBytes) {
      hint.textContent = file.name + " is " + mb + " MB, over the " + (maxBytes / 1048576).toFixed(0) + " MB limit.";
      hint.className = "error";
      return false;
    }
    hint.className = "help";
    if (readable.test(file.name)) {
      hint.textContent = file.name + " (" + mb + " MB) is ready.";
    } else if (later.test(file.name)) {
      hint.textContent = file.name + ": this format is detected but not read yet; pasting its text works today.";
    } else {
      hint.textContent = file.name + ": we will detect its type from its content.";
    }
    return true;
  }

  input.addEventListener("change", function () { describe(input.files[0]); });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      describe(input.files[0]);
    }
  });
  form.addEventListener("submit", function (event) {
    if (!describe(input.files[0])) { event.preventDefault(); input.focus(); }
  });
})();
