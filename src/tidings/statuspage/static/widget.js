// Tidings status widget: a small pill saying what the status page says, linked to it.
//   <script src="https://status.example.com/widget.js" data-lang="he" async></script>
// It puts the pill where the script tag is (or inside the element named by data-target),
// reads /api/v2/status.json from where this script came from, and refreshes every 60
// seconds. No dependencies; text goes in through textContent only, so nothing the JSON
// says can become markup; every error is caught, so the host page never breaks.
(function () {
  /* embed.js */
  var COLORS = {
    none: "#44cc11", maintenance: "#007ec6", minor: "#dfb317", major: "#fe7d37",
    critical: "#e05d44"
  };
  var WORDS = {
    en: { none: "All systems operational", maintenance: "Under maintenance",
          minor: "Partially degraded service", major: "Partial system outage",
          critical: "Major system outage", unknown: "Status unavailable" },
    he: { none: "כל המערכות פועלות כסדרן", maintenance: "בתחזוקה",
          minor: "פגיעה חלקית בשירות", major: "השבתה חלקית של המערכת",
          critical: "השבתה רחבה של המערכת", unknown: "המצב אינו זמין" }
  };
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var base = script.src.replace(/\/widget\.js([?#].*)?$/, "");
  var lang = languageOf(script);

  var pill = document.createElement("a");
  pill.href = base + (lang === "he" ? "/he/" : "/");
  pill.target = "_blank";
  pill.rel = "noopener";
  pill.className = "tidings-status";
  pill.dir = lang === "he" ? "rtl" : "ltr";
  var s = pill.style;
  s.display = "inline-flex"; s.alignItems = "center"; s.gap = "0.5em";
  s.padding = "0.3em 0.8em"; s.border = "1px solid #e4e7eb"; s.borderRadius = "999px";
  s.background = "#fff"; s.color = "#1f2933"; s.textDecoration = "none";
  s.font = "14px/1.4 system-ui, sans-serif";
  var dot = document.createElement("span");
  dot.style.width = "0.7em"; dot.style.height = "0.7em"; dot.style.borderRadius = "50%";
  dot.style.display = "inline-block"; dot.style.background = "#9aa5b1";
  var label = document.createElement("span");
  label.textContent = WORDS[lang].unknown;
  pill.appendChild(dot);
  pill.appendChild(label);
  var target = script.getAttribute("data-target");
  var host = target ? document.getElementById(target) : null;
  if (host) { host.appendChild(pill); } else { script.parentNode.insertBefore(pill, script); }

  function show(indicator) {
    var known = Object.prototype.hasOwnProperty.call(COLORS, indicator);
    pill.setAttribute("data-indicator", known ? indicator : "unknown");
    dot.style.background = known ? COLORS[indicator] : "#9aa5b1";
    label.textContent = known ? WORDS[lang][indicator] : WORDS[lang].unknown;
  }

  function poll() {
    try {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", base + "/api/v2/status.json", true);
      xhr.onload = function () {
        try {
          var doc = JSON.parse(xhr.responseText);
          show(doc && doc.status ? String(doc.status.indicator) : "");
        } catch (e) { show(""); }
      };
      xhr.onerror = function () { show(""); };
      xhr.send();
    } catch (e) { show(""); }
  }
  poll();
  setInterval(poll, EVERY);
})();
