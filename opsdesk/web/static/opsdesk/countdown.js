/* Live SLA countdowns (B6): every element with data-deadline (ISO 8601) shows the time left, or how
   long ago it passed, updated every second without a reload. Its row (data-sla-row) turns amber past
   data-warning and red past the deadline. Elements swapped in by htmx are picked up on the next tick. */
(function () {
  "use strict";

  /* The one duration format of every page (opsdesk/core/humanize.py duration): "18 h 57 min",
     "3 min", "under 1 min"; whole minutes rounded up for time left, down for time overdue. */
  function span(ms, up) {
    var minutes = (up ? Math.ceil : Math.floor)(Math.abs(ms) / 60000);
    if (minutes === 0) return "under 1 min";
    var h = Math.floor(minutes / 60), m = minutes % 60;
    var parts = h ? [h + " h"] : [];
    if (m || !parts.length) parts.push(m + " min");
    return parts.join(" ");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(due)) return;
      var warn = Date.parse(el.getAttribute("data-warning") || "");
      var left = due - now;
      var state = left <= 0 ? "breached" : (!isNaN(warn) && now >= warn ? "warning" : "running");
      var text = left <= 0 ? span(left, false) + " overdue" : "in " + span(left, true);
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
