"""Reading request heads: any bytes at all are either a request or a refusal with its status,
never an error of the edge itself."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tidings.statuspage import edgehttp as h

LIMIT = 16 * 1024


def read(head: bytes) -> h.Request | int:
    try:
        return h.parse(head)
    except h.Refused as r:
        return r.status


@given(st.binary(max_size=400))
def test_any_bytes_are_a_request_or_a_refusal(head):
    result = read(head)
    assert isinstance(result, h.Request) or result in (400, 411, 431, 501)


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
_value = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


@given(st.lists(st.tuples(_token, _value), max_size=8), st.booleans())
def test_well_formed_heads_are_read_as_sent(headers, keep_alive):
    framing = {"host", "connection", "content-length", "transfer-encoding"}
    lines = [b"GET /a/b?c=d HTTP/1.1", b"Host: status.acme.test"]
    lines += [f"{n}: {v}".encode() for n, v in headers if n not in framing]
    if not keep_alive:
        lines.append(b"Connection: close")
    request = read(b"\r\n".join(lines))
    assert isinstance(request, h.Request), (headers, request)
    assert request.path == b"/a/b" and request.target == b"/a/b?c=d"
    assert request.keep_alive is keep_alive
    assert request.fields[b"host"] == b"status.acme.test"


def test_the_size_limit_names_the_part_that_is_too_long():
    assert h.too_large(b"GET /" + b"a" * LIMIT, LIMIT) == 414
    assert h.too_large(b"GET / HTTP/1.1\r\nX: " + b"a" * LIMIT, LIMIT) == 431


def test_a_bare_line_ending_is_seen_wherever_the_reads_split():
    head = b"GET / HTTP/1.1\r\nHost: a\nX: y\r\n"
    for cut in range(1, len(head)):
        seen = h.bare_line_ending(head[:cut], 0) or h.bare_line_ending(head, cut)
        assert seen, cut
    fine = b"GET / HTTP/1.1\r\nHost: a\r\n"
    assert not any(h.bare_line_ending(fine, cut) for cut in range(len(fine)))


@given(st.binary(max_size=300), st.sampled_from([b"Connection", b"Keep-Alive", b"Upgrade"]))
def test_an_answer_from_the_staff_app_loses_its_hop_by_hop_headers(junk, hop):
    value = junk.replace(b"\r", b"").replace(b"\n", b"")
    head = b"HTTP/1.1 200 OK\r\n" + hop + b": x\r\nX-Kept: 1\r\nX-Any: " + value
    answer = h.parse_response(head)
    assert answer is not None and answer.status == 200
    assert answer.lines == [b"X-Kept: 1", b"X-Any: " + value]
