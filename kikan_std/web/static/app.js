// kikan-std serve: polls the run's status while it runs and reloads the page when it ends.
// Plain JavaScript, served from the package (no build step, no third-party code).
(function () {
  "use strict";
  var run = document.getElementById("run");
  if (!run) { return; }
  var state = run.getAttribute("data-state");
  if (state !== "queued" && state !== "running") { return; }
  var url = run.getAttribute("data-status-url");
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.state !== "queued" && s.state !== "running") { window.location.reload(); return; }
        if (text) {
          text.textContent = s.state === "queued" ? "待機中 / queued"
            : s.stage ? s.stage
            : "読込中 / reading " + (s.file || "") + ": " + Number(s.records || 0).toLocaleString("ja-JP") + " 件";
        }
        if (bar) { bar.setAttribute("data-records", String(s.records || 0)); }
        window.setTimeout(poll, 300);
      })
      .catch(function () { window.setTimeout(poll, 1000); });
  }
  poll();
})();
