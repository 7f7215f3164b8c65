/* Live SLA countdowns (B6): every element with data-deadline (ISO 8601) shows the time left, or how
   long ago it passed, updated every second without a reload. Its row (data-sla-row) turns amber past
   data-warning and red past the deadline. Elements swapped in by htmx are picked up on the next tick. */
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  /* 2 d 03:12:44, 12:37:05, 04:09 — seconds always shown, so the countdown visibly runs. */
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    s = s % 60;
    var clock = (d || h ? h + ":" + pad(m) : m) + ":" + pad(s);
    if (d && h < 10) clock = "0" + clock;
    return (d ? d + "\u00a0d " : "") + clock;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(due)) return;
      var warn = Date.parse(el.getAttribute("data-warning") || "");
      var left = due - now;
      var state = left <= 0 ? "breached" : (!isNaN(warn) && now >= warn ? "warning" : "running");
      var text = left <= 0 ? "overdue by " + span(left) : "in " + span(left);
      if (el.textContent !== text) el.textContent = text;
      el.setAttribute("data-state", state);
      var row = el.closest("[data-sla-row]");
      if (row) {
        row.classList.toggle("sla-breached", state === "breached");
        row.classList.toggle("sla-warning", state === "warning");
      }
    });
  }

  tick();
  window.setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();
