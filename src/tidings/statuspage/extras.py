"""Files published beside the pages: the brand's images, the status badges and the
embeddable widget (a script and an iframe page). One hook in the publisher adds them."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from tidings.components.models import Component
from tidings.statuspage import badges, html, scripts, snapshot, v2, words
from tidings.statuspage.data import Site

SVG = "image/svg+xml; charset=utf-8"
HTML = "text/html; charset=utf-8"
JS = "text/javascript; charset=utf-8"


def entries(site: Site) -> list[snapshot.Entry]:
    out = []
    brand = site.brand
    if brand is not None:
        out += [snapshot.make_entry(p, body, kind) for p, (body, kind) in brand.files.items()]
    slugs = dict(Component.objects.values_list("public_id", "slug"))
    indicator = v2.indicator_of(site)
    for lang in html.LANGS:
        local, p = site.in_language(lang), html.prefix(lang)
        comps = [(slugs[c.id], c.name, c.status) for c in local.components if c.id in slugs]
        for path, body in badges.badges(lang=lang, indicator=indicator, components=comps).items():
            out.append(snapshot.make_entry(p + path, body.encode(), SVG))
        with translation.override(lang):
            labels = words.status_labels()
            page = render_to_string(
                "statuspage/widget.html",
                {
                    "lang": lang, "dir": "rtl" if lang in html.RTL else "ltr", "prefix": p,
                    "site": local, "indicator": indicator, "label": labels[indicator],
                    "colour": badges.COLOURS[indicator], "brand": brand,
                },
            )  # fmt: skip
        out.append(snapshot.make_entry(f"{p}/widget.html", page.encode(), HTML))
    out.append(snapshot.make_entry("/widget.js", scripts.embedded("widget.js"), JS))
    return out
