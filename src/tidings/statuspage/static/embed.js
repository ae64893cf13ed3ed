  // What banner.js and widget.js share, put in by the publisher where each has the line
  // "/* embed.js */", first thing inside its wrapper function (statuspage/scripts.py).
  "use strict";
  var EVERY = 60 * 1000;  // how often the script asks again

  // The reader's language: the script tag's data-lang, else the host page's, else the
  // browser's; Hebrew (also as the old code "iw") or English.
  function languageOf(script) {
    var raw = (script.getAttribute("data-lang") || document.documentElement.lang ||
               navigator.language || "en").toLowerCase().slice(0, 2);
    if (raw === "iw") { raw = "he"; }
    return raw === "he" ? "he" : "en";
  }

