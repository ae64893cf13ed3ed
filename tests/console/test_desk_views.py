"""The desk's screens without a browser: every page opens, a template fills the message,
the preview renders, bad input is shown next to its field, and a stale draft is caught."""


def test_a_crisis_runs_through_the_desk_screens(client, dana, now, catalog, outage):
    client.force_login(dana)
    for url in [
        "/console/",
        "/console/declare",
        f"/console/incidents/{outage.public_id}",
        "/console/open",
        f"/console/incidents/{outage.public_id}/timeline",
        f"/console/incidents/{outage.public_id}/counts",
        "/console/maintenances/new",
        f"/console/incidents/{outage.public_id}/recipients?audience=affected",
        "/console/incidents/new/recipients?audience=all&left_out=all",
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
    checkout_down = {
        "title_en": "Checkout down",
        "title_he": "התשלום לא עובד",
        "severity": "SEV1",
        f"comp_{catalog['API']}": "major_outage",
        "audience": "affected",
    }
    r = client.post("/console/declare", {**checkout_down, "compose": "investigating"})
    assert r.status_code == 200, r.content[:2000]
    page = r.content.decode()
    assert "We are investigating a problem: Checkout down" in page, page
    r = client.post(
        "/console/declare",
        {
            **checkout_down,
            "template": "investigating",
            "body_en": "We look.",
            "body_he": "בודקים.",
            "action": "preview",
        },
    )
    assert r.status_code == 200 and "exactly what will be sent" in r.content.decode(), (
        r.content.decode()[-3000:]
    )
    r = client.post(
        "/console/declare",
        {"title_en": "", "body_en": "x", "action": "publish", "audience": "affected"},
    )
    assert r.status_code == 422 and "field-error" in r.content.decode()
    r = client.post(
        "/console/declare",
        {
            "title_en": "Checkout down",
            "severity": "SEV1",
            "template": "investigating",
            "body_en": "We look.",
            "body_he": "בודקים.",
            "audience": "affected",
            "action": "publish",
        },
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    r = client.get(r["Location"])
    assert r.status_code == 200
    latest = outage.updates.first().public_id
    still_working = {
        "based_on": latest,
        "template": "still_working",
        "audience": "affected",
        "action": "still_working",
    }
    r = client.post(f"/console/incidents/{outage.public_id}/post", still_working)
    assert r.status_code == 302, r.content.decode()[-2000:]
    # The same form again: it was based on an update that is no longer the latest.
    r = client.post(f"/console/incidents/{outage.public_id}/post", still_working)
    assert r.status_code == 200 and "Someone posted" in r.content.decode()


def test_the_incident_page_opens_with_its_updates_in_it(client, dana, now, outage):
    """Whoever opens an incident sees what was already said at once, not "No updates yet"
    until the live poll catches up."""
    client.force_login(dana)
    page = client.get(f"/console/incidents/{outage.public_id}").content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "Some API calls fail. We are investigating." in timeline
    assert "No updates yet" not in timeline
    latest = outage.updates.get().public_id
    assert f'data-latest="{latest}"' in timeline


def test_a_hebrew_console_names_an_incident_in_hebrew_first(client, dana, catalog):
    import re

    from tidings.incidents import services

    incident = services.create_incident(
        actor="dana",
        title={"en": "Checkout down", "he": "התשלום לא עובד"},
        body={"en": "Looking.", "he": "בודקים."},
        severity="SEV2",
        components={catalog["API"]: "major_outage"},
    )
    client.force_login(dana)
    for lang, first, second in [
        ("he", "התשלום לא עובד", "Checkout down"),
        ("en", "Checkout down", "התשלום לא עובד"),
    ]:
        page = client.get(
            f"/console/incidents/{incident.public_id}", HTTP_ACCEPT_LANGUAGE=lang
        ).content.decode()
        heading = re.search(
            r"<h1>(.*?)</h1>\s*<p class=\"meta\" lang=\"(\w+)\"[^>]*>(.*?)</p>", page
        )
        assert heading is not None, page[:3000]
        assert (heading.group(1), heading.group(3)) == (first, second)
        listed = client.get("/console/open", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert f'<span class="title">{first}</span>' in listed
