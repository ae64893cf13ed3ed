"""The edge: what a visitor's browser, a CDN and an API client get, straight from memory."""

import gzip
import http.client
import json
import shutil

import pytest

from tests.conftest import published, stop, tidings_process
from tests.ports import free_port, wait_for_port
from tidings.incidents import services
from tidings.statuspage.edgecore import Edge, preferred_lang


@pytest.fixture
def edge(now, site_settings, outage):
    published(site_settings)
    return Edge(site_settings.snapshot_dir, reload_seconds=0)


def header(r, name):
    return dict(r.headers)[name]


def test_the_page_is_served_with_cache_headers_and_a_strong_etag(edge):
    r = edge.respond("GET", "/")
    assert r.status == 200
    assert header(r, "Content-Type") == "text/html; charset=utf-8"
    assert header(r, "Cache-Control").startswith("public, max-age=10")
    assert header(r, "ETag").startswith('"') and not header(r, "ETag").startswith("W/")
    assert b"Elevated API errors" in r.body


def test_a_revalidation_with_the_same_etag_is_a_304_without_a_body(edge):
    tag = header(edge.respond("GET", "/api/v2/summary.json"), "ETag")
    r = edge.respond("GET", "/api/v2/summary.json", if_none_match=tag)
    assert r.status == 304 and r.body == b""
    gz_tag = header(edge.respond("GET", "/", accept_encoding="gzip"), "ETag")
    assert gz_tag.endswith('-gzip"')
    assert edge.respond("GET", "/", accept_encoding="gzip", if_none_match=gz_tag).status == 304


def test_compressed_forms_are_chosen_by_accept_encoding(edge):
    plain = edge.respond("GET", "/").body
    r = edge.respond("GET", "/", accept_encoding="gzip, deflate")
    assert header(r, "Content-Encoding") == "gzip" and gzip.decompress(r.body) == plain
    assert header(edge.respond("GET", "/", accept_encoding="gzip, br"), "Content-Encoding") == "br"
    assert "Content-Encoding" not in dict(
        edge.respond("GET", "/", accept_encoding="identity").headers
    )


def test_the_api_allows_any_origin(edge):
    r = edge.respond("GET", "/api/v2/summary.json")
    assert header(r, "Access-Control-Allow-Origin") == "*"
    assert json.loads(r.body)["status"]["indicator"] == "major"


@pytest.mark.parametrize(
    ("cookie", "accept_language", "lang"),
    [
        pytest.param("", "he-IL,he;q=0.9,en;q=0.8", "he", id="browser-prefers-hebrew"),
        pytest.param("", "en-US,en;q=0.9,he;q=0.8", "en", id="browser-prefers-english"),
        pytest.param("tidings_lang=en", "he", "en", id="switch-beats-browser"),
        pytest.param("a=b; tidings_lang=he", "en", "he", id="switch-among-other-cookies"),
        pytest.param("", "fr-FR", "en", id="unknown-language-falls-back"),
        pytest.param("", "iw", "he", id="old-hebrew-code"),
        pytest.param("", "en;q=0.2, he;q=0.7", "he", id="quality-order-not-list-order"),
    ],
)
def test_the_language_follows_the_switch_then_the_browser(edge, cookie, accept_language, lang):
    assert preferred_lang(cookie, accept_language) == lang
    r = edge.respond("GET", "/", cookie=cookie, accept_language=accept_language)
    assert f'<html lang="{lang}"'.encode() in r.body
    assert "Accept-Language" in header(r, "Vary")


def test_explicit_language_paths_win(edge, outage):
    assert b'lang="he"' in edge.respond("GET", "/he/").body
    assert b'lang="he"' in edge.respond("GET", f"/he/incidents/{outage.public_id}").body
    assert b'lang="en"' in edge.respond("GET", "/en/", accept_language="he").body
    assert edge.respond("GET", f"/incidents/{outage.public_id}/").status == 200


def test_unknown_paths_and_methods(edge):
    assert edge.respond("GET", "/nope").status == 404
    r = edge.respond("POST", "/")
    assert r.status == 405 and header(r, "Allow") == "GET, HEAD"
    head = edge.respond("HEAD", "/")
    assert head.status == 200 and head.body == b"" and int(header(head, "Content-Length")) > 1000


def test_a_newer_snapshot_is_picked_up_and_a_broken_one_is_ignored(edge, site_settings, outage):
    v1 = edge.snapshot.version
    services.post_update(
        actor="dana", incident=outage, status="identified", body="We found the cause."
    )
    published(site_settings)
    assert b"We found the cause." in edge.respond("GET", "/").body
    assert edge.snapshot.version > v1
    # A snapshot that vanishes from disk (pruned, disk trouble) leaves the edge on the last good one.
    current = (site_settings.snapshot_dir / "current").resolve()
    broken = site_settings.snapshot_dir / "v9999999999"
    shutil.copytree(current, broken)
    (broken / "manifest.json").write_text("{truncated")
    (site_settings.snapshot_dir / "current").unlink()
    (site_settings.snapshot_dir / "current").symlink_to(broken.name)
    r = edge.respond("GET", "/")
    assert r.status == 200 and b"We found the cause." in r.body


def test_the_edge_process_serves_with_no_database_at_all(edge, site_settings):
    """`tidings edge` is started with a database URL nothing listens on: it must not care."""
    port = free_port()
    proc = tidings_process(
        ["edge", "--port", str(port), "--processes", "2"],
        {
            "TIDINGS_DATA_DIR": str(site_settings.data_dir),
            "TIDINGS_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        },
    )
    try:
        wait_for_port(port, proc=proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for path in ("/", "/api/v2/summary.json", "/he/", "/history"):
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, path
            assert r.getheader("Content-Encoding") == "gzip"
            assert len(gzip.decompress(body)) > 100
        conn.request("GET", "/", headers={"If-None-Match": r.getheader("ETag") or ""})
        conn.getresponse().read()
        # keep-alive: the same connection served every request
        conn.request("GET", "/api/v2/status.json")
        r = conn.getresponse()
        assert json.loads(r.read())["status"]["indicator"] == "major"
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("POST", "/", body=b"x=1")
        assert conn.getresponse().status == 405
    finally:
        stop(proc)
