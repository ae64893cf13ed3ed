"""An incident's questions and answers, workarounds and links, edited from its console screen
without a browser: added, changed, deleted, and a refusal shown next to the list it is about
with what was typed kept."""

from tidings.incidents.models import FaqEntry, Resource


def test_a_workaround_is_added_changed_and_deleted_from_the_incident_screen(client, dana, outage):
    client.force_login(dana)
    base = f"/console/incidents/{outage.public_id}"
    r = client.post(f"{base}/resources", {"kind": "workaround", "title_en": "Retry",
                                           "body_en": "Retry after a minute.", "url": ""})  # fmt: skip
    assert r.status_code == 302 and r["Location"].endswith(f"{base}#resources")
    added = Resource.objects.get(incident=outage)
    assert added.title == {"en": "Retry"} and added.body == {"en": "Retry after a minute."}

    r = client.post(f"{base}/resources/{added.pk}", {"kind": "link", "title_en": "Status",
                                                     "url": "https://example.com/s"})  # fmt: skip
    assert r.status_code == 302
    added.refresh_from_db()
    assert (added.kind, added.url) == ("link", "https://example.com/s")

    r = client.post(f"{base}/resources/{added.pk}", {"action": "delete"})
    assert r.status_code == 302 and not Resource.objects.filter(incident=outage).exists()


def test_a_refused_link_is_said_next_to_the_resources_and_nothing_is_written(client, dana, outage):
    client.force_login(dana)
    r = client.post(f"/console/incidents/{outage.public_id}/resources",
                    {"kind": "link", "title_en": "Docs", "url": "ftp://example.com"})  # fmt: skip
    assert r.status_code == 200
    assert "url must start with http:// or https://" in r.content.decode()
    assert not Resource.objects.filter(incident=outage).exists()


def test_a_question_is_answered_changed_and_deleted_and_a_missing_one_is_not_found(
    client, dana, outage
):
    client.force_login(dana)
    base = f"/console/incidents/{outage.public_id}"
    r = client.post(f"{base}/faq", {"question_en": "Was data lost?", "answer_en": "No."})
    assert r.status_code == 302 and r["Location"].endswith(f"{base}#faq")
    entry = FaqEntry.objects.get(incident=outage)
    r = client.post(f"{base}/faq/{entry.pk}", {"question_en": "Was data lost?",
                                               "answer_en": "No data was lost."})  # fmt: skip
    entry.refresh_from_db()
    assert r.status_code == 302 and entry.answer == {"en": "No data was lost."}
    r = client.post(f"{base}/faq/{entry.pk + 1000}", {"action": "delete"})
    assert r.status_code == 200 and FaqEntry.objects.filter(incident=outage).count() == 1
    r = client.post(f"{base}/faq/{entry.pk}", {"action": "delete"})
    assert r.status_code == 302 and not FaqEntry.objects.filter(incident=outage).exists()
