// Tidings in-product banner. A product shows its customers what the status page says:
//   <script src="https://status.example.com/banner.js" data-lang="he" defer></script>
// While an incident or a maintenance is under way, a dismissible banner sits at the top of
// the page; it goes away when all is well again. It reads banner.json from where this script
// came from, every 60 seconds. No dependencies, no globals but one guard, styles kept in a
// shadow root; every error is caught, so the host page never breaks because of it.
(function () {
  /* embed.js */
  var COLORS = {
    critical: "#b42318", major: "#c4320a", minor: "#93370d", none: "#344054",
    maintenance: "#1d4ed8"
  };
  var FALLBACK = {
    en: { view: "View status", dismiss: "Dismiss", next_update: "Next update by",
          maintenance: "Maintenance in progress", more: "more" },
    he: { view: "לדף הסטטוס", dismiss: "סגירה", next_update: "העדכון הבא עד",
          maintenance: "תחזוקה מתבצעת כעת", more: "נוספים" }
  };

  function ownScript(current) {
    if (current && current.src) { return current; }
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/banner\.js(\?|#|$)/.test(all[i].src || "")) { return all[i]; }
    }
    return null;
  }

  function css(el, styles) {
    // CSSOM, not a style attribute: allowed under a strict Content-Security-Policy.
    for (var k in styles) {
      if (Object.prototype.hasOwnProperty.call(styles, k)) { el.style[k] = styles[k]; }
    }
    return el;
  }

  function make(tag, text, styles) {
    var el = document.createElement(tag);
    if (text) { el.textContent = text; }
    return css(el, styles || {});
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function pick(map, lang) {
    if (!map || typeof map !== "object") { return ""; }
    return String(map[lang] || map.en || "");
  }

  function localTime(iso, lang) {
    var d = new Date(iso);
    if (!iso || isNaN(d)) { return ""; }
    try {
      return new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" }).format(d);
    } catch (e) { return d.toISOString().slice(11, 16); }
  }

  function start(current) {
    var script = ownScript(current);
    if (!script || !window.fetch || !window.JSON) { return; }
    var source = new URL("banner.json", script.src).href;
    var lang = languageOf(script);
    var dir = lang === "he" ? "rtl" : "ltr";
    var storeKey = "tidings-banner-dismissed:" + source;
    var host = null;

    function dismissed(signature) {
      try { return window.localStorage.getItem(storeKey) === signature; } catch (e) { return false; }
    }

    function remember(signature) {
      try { window.localStorage.setItem(storeKey, signature); } catch (e) { /* private mode */ }
    }

    function hide() {
      if (host && host.parentNode) { host.parentNode.removeChild(host); }
      host = null;
    }

    function render(doc) {
      var incidents = (Array.isArray(doc && doc.incidents) ? doc.incidents : [])
        .filter(function (i) { return i && typeof i === "object" && i.title; });
      if (!incidents.length) { hide(); return; }
      var signature = incidents.map(function (i) { return i.id + "@" + i.updated_at; }).join(",");
      if (dismissed(signature)) { hide(); return; }
      if (host && host.getAttribute("data-signature") === signature) { return; }  // as shown
      var given = (doc.labels && typeof doc.labels === "object" && doc.labels[lang]) || {};
      var labels = {};
      for (var k in FALLBACK[lang]) {
        labels[k] = typeof given[k] === "string" ? given[k] : FALLBACK[lang][k];
      }
      var first = incidents[0];

      hide();
      host = document.createElement("div");
      host.id = "tidings-banner";
      host.setAttribute("data-tidings-banner", "");
      host.setAttribute("data-signature", signature);
      var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
      var bar = make("div", "", {
        display: "flex", alignItems: "flex-start", gap: "12px", padding: "10px 16px",
        background: COLORS[first.impact] || COLORS.major, color: "#fff",
        font: "14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,'Noto Sans Hebrew',sans-serif",
        textAlign: "start", boxSizing: "border-box", width: "100%"
      });
      bar.className = "tidings-banner";
      bar.setAttribute("role", "status");
      bar.setAttribute("aria-live", "polite");
      bar.setAttribute("lang", lang);
      bar.setAttribute("dir", dir);

      var body = make("div", "", { flex: "1 1 auto", minWidth: "0" });
      var heading = make("div", "", { fontWeight: "600" });
      if (first.kind === "maintenance") {
        heading.appendChild(make("span", labels.maintenance + ": ", { fontWeight: "400" }));
      }
      var title = make("span", pick(first.titles, lang) || String(first.title));
      title.className = "tidings-title";
      heading.appendChild(title);
      var status = pick(first.status_label, lang) || String(first.status || "");
      if (status) {
        heading.appendChild(make("span", " · " + status, { fontWeight: "400", opacity: "0.9" }));
      }
      body.appendChild(heading);
      var text = pick(first.update, lang);
      if (text) {
        var p = make("div", text, { marginTop: "2px" });
        p.className = "tidings-update";
        body.appendChild(p);
      }
      var due = localTime(first.next_update_due_at, lang);
      var links = make("div", "", { marginTop: "4px", display: "flex", gap: "12px", flexWrap: "wrap" });
      if (due) { links.appendChild(make("span", labels.next_update + " " + due, { opacity: "0.9" })); }
      var href = safeUrl(pick(first.urls, lang) || first.url);
      if (href) {
        var a = make("a", labels.view, { color: "#fff", textDecoration: "underline" });
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener";
        links.appendChild(a);
      }
      if (incidents.length > 1) {
        var pageUrl = safeUrl(doc.page && doc.page.url);
        var more = make(pageUrl ? "a" : "span", "+" + (incidents.length - 1) + " " + labels.more,
                        { color: "#fff" });
        if (pageUrl) { more.href = pageUrl + (lang === "en" ? "/" : "/" + lang + "/"); more.target = "_blank"; more.rel = "noopener"; }
        links.appendChild(more);
      }
      body.appendChild(links);
      bar.appendChild(body);

      var close = make("button", "×", {
        flex: "0 0 auto", background: "transparent", color: "#fff", border: "0",
        font: "inherit", fontSize: "20px", lineHeight: "1", cursor: "pointer", padding: "0 4px"
      });
      close.type = "button";
      close.className = "tidings-dismiss";
      close.setAttribute("aria-label", labels.dismiss);
      close.title = labels.dismiss;
      close.addEventListener("click", function () {
        try { remember(signature); hide(); } catch (e) { /* never the host's problem */ }
      });
      bar.appendChild(close);
      root.appendChild(bar);
      document.body.insertBefore(host, document.body.firstChild);
    }

    function check() {
      try {
        fetch(source, { cache: "no-cache", credentials: "omit", mode: "cors" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (doc) { if (doc) { render(doc); } })
          .catch(function () { /* keep what is shown; try again later */ })
          .then(function () { setTimeout(check, EVERY); });
      } catch (e) {
        setTimeout(check, EVERY);
      }
    }

    check();
  }

  try {
    if (window.__tidingsBanner) { return; }  // included twice: one banner
    window.__tidingsBanner = true;
    var script = document.currentScript;  // only set while this file first runs
    var go = function () {
      try { start(script); } catch (e) { /* the host page comes first */ }
    };
    if (document.body) { go(); } else { document.addEventListener("DOMContentLoaded", go); }
  } catch (e) { /* the host page comes first */ }
})();
