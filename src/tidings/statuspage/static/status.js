// Tidings status page: local times, language memory and live refresh without reloading.
(function () {
  "use strict";
  var body = document.body;
  var lang = document.documentElement.lang || "en";

  function localTimes(root) {
    var fmt;
    try {
      fmt = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    } catch (e) { return; }
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.textContent = fmt.format(d); el.title = d.toISOString(); }
    });
  }

  document.querySelectorAll("a.lang-switch").forEach(function (a) {
    a.addEventListener("click", function () {
      document.cookie = "tidings_lang=" + a.dataset.lang + "; path=/; max-age=31536000; SameSite=Lax";
    });
  });

  // Pages carry no version of their own, so a publish leaves unchanged pages byte-identical
  // (same ETag, compressed once); the version lives in /live.json alone.
  var version = null;
  var every = Math.max(1, parseFloat(body.dataset.refresh || "10")) * 1000;

  function refresh() {
    fetch("/live.json", { cache: "no-cache" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (live) {
        if (!live || String(live.version) === String(version)) { return null; }
        version = String(live.version);
        return fetch(location.pathname, { cache: "no-cache", headers: { "Accept-Language": lang } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html) { return; }
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("content");
            var shown = document.getElementById("content");
            if (!fresh || fresh.innerHTML === source) { return; }
            source = fresh.innerHTML;
            var folded = groupsShown(shown);
            shown.innerHTML = fresh.innerHTML;
            keepGroups(shown, folded);
            document.title = doc.title;
            localTimes(shown);
          });
      })
      .catch(function () { /* the page keeps what it shows; the next poll tries again */ })
      .then(function () { setTimeout(refresh, every); });
  }

  // A group the visitor opened or closed stays so across refreshes while its status is
  // the same; when its status changes, the page's own choice (open if not operational) wins.
  function groupsShown(root) {
    var seen = {};
    root.querySelectorAll("details.group[data-group]").forEach(function (d) {
      seen[d.dataset.group] = { status: d.dataset.status, open: d.open };
    });
    return seen;
  }

  function keepGroups(root, seen) {
    root.querySelectorAll("details.group[data-group]").forEach(function (d) {
      var was = seen[d.dataset.group];
      if (was && was.status === d.dataset.status) { d.open = was.open; }
    });
  }

  var content = document.getElementById("content");
  var source = content ? content.innerHTML : "";  // as served, before times were localised
  localTimes(document);
  setTimeout(refresh, every);
})();
