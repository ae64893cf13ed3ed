/* The console's few behaviours that need a browser clock. No inline scripts (the Content
   Security Policy allows scripts from this origin only). */
(function () {
  "use strict";
  var body = document.body;
  function t(name) { return body.getAttribute("data-t-" + name) || ""; }
  /* Whole minutes counted up, as the server's cards count them (incidents.cadence.standing):
     "overdue by 1 min" from the first second, and the desk's countdown and its cadence card
     never name two different minutes. */
  function span(seconds) {
    var s = Math.abs(Math.round(seconds));
    if (s < 60) return s + " " + t("s");
    var m = Math.ceil(s / 60);
    if (m < 60) return m + " " + t("min");
    return Math.floor(m / 60) + " " + t("h") + " " + (m % 60) + " " + t("min");
  }
  /* <span class="due" data-due="ISO time">: "due in 12 min", red "overdue by 3 min" */
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-due")) - now) / 1000;
      if (isNaN(left)) return;
      el.textContent = (left < 0 ? t("overdue") : t("due-in")).replace("%s", span(left));
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 300);
      var row = el.closest("[data-row]");
      if (row) row.classList.toggle("overdue", left < 0);
    });
  }
  /* a button with data-fill="#id" and data-value puts its value in that field */
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-fill]");
    if (!b) return;
    var field = document.querySelector(b.getAttribute("data-fill"));
    if (field) { field.value = b.getAttribute("data-value"); field.dispatchEvent(new Event("change", { bubbles: true })); }
  });
  /* a button with data-copy="#id" copies that field's value (receiver URLs, secrets) */
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-copy]");
    if (!b) return;
    var field = document.querySelector(b.getAttribute("data-copy"));
    if (!field) return;
    var done = function () {
      var label = b.textContent;
      b.textContent = b.getAttribute("data-copied") || label;
      setTimeout(function () { b.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done);
    } else { /* plain http: the older way still copies a selected field */
      field.select();
      if (document.execCommand("copy")) done();
    }
  });
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();
