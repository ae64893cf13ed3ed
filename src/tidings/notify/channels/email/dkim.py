"""DKIM signatures (RFC 6376) for outgoing mail.

dkimpy parses the message, canonicalises it and hashes the signed headers exactly as its own
``dkim.sign`` does; only the RSA step is OpenSSL's (``cryptography``): dkimpy's pure-Python RSA
took about 8 ms a message on the development machine, OpenSSL about 0.3 ms (``bench/email_dkim.py``).

Each recipient's message differs (the To header, the Message-ID and the unsubscribe links in
the body), so each gets its own signature; the message itself was rendered once."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import TYPE_CHECKING

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from dkim.canonicalization import CanonicalizationPolicy

if TYPE_CHECKING:
    from tidings.config import TidingsSettings

#: Signed when present. RFC 8058 asks for List-Unsubscribe and -Post to be signed, so a
#: one-click unsubscribe link cannot be added on the way.
SIGNED = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-unsubscribe", b"list-unsubscribe-post", b"feedback-id", b"auto-submitted",
    b"precedence",
)  # fmt: skip
_NAME = b"DKIM-Signature"


class DkimError(ValueError):
    """The DKIM settings cannot be used; the message says why."""


class DkimSigner:
    def __init__(self, *, selector: str, domain: str, key_pem: bytes) -> None:
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise DkimError(
                f"the DKIM key is not a PEM private key without password: {exc}"
            ) from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DkimError("the DKIM key must be an RSA key (rsa-sha256)")
        if key.key_size < 1024:
            raise DkimError("the DKIM key must have at least 1024 bits (2048 recommended)")
        self.key = key
        self.selector, self.domain = selector.encode(), domain.encode()
        self.policy = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")

    @classmethod
    def from_settings(cls, settings: TidingsSettings, default_domain: str) -> DkimSigner | None:
        """A signer when both a key file and a selector are configured, else None."""
        if not (settings.dkim_key_file and settings.dkim_selector):
            return None
        try:
            pem = settings.dkim_key_file.read_bytes()
        except OSError as exc:
            raise DkimError(f"cannot read TIDINGS_DKIM_KEY_FILE: {exc}") from exc
        return cls(selector=settings.dkim_selector, domain=settings.dkim_domain or default_domain,
                   key_pem=pem)  # fmt: skip

    def sign(self, message: bytes, *, now: float | None = None) -> bytes:
        """``message`` with a DKIM-Signature header in front."""
        headers, body = dkim.rfc822_parse(message)
        present = {name.lower() for name, _value in headers}
        include = [h for h in SIGNED if h in present]
        body_hash = base64.b64encode(hashlib.sha256(self.policy.canonicalize_body(body)).digest())
        fields = [
            (b"v", b"1"), (b"a", b"rsa-sha256"), (b"c", b"relaxed/relaxed"), (b"d", self.domain),
            (b"s", self.selector), (b"t", str(int(now or time.time())).encode()),
            (b"h", b" : ".join(include)), (b"bh", body_hash),
            # A long placeholder puts b= on a line of its own, so folding the real value in
            # later leaves the hashed tags as they were (dkimpy does the same).
            (b"b", b"0" * 60),
        ]  # fmt: skip
        value = dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(_NAME))
        value = dkim.RE_BTAG.sub(b"\\1", value)
        hasher = hashlib.sha256()
        dkim.hash_headers(hasher, self.policy, self.policy.canonicalize_headers(headers),
                          include, (_NAME, b" " + value), dict(fields))  # fmt: skip
        signature = self.key.sign(
            hasher.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
        )
        fields[-1] = (b"b", base64.b64encode(signature))
        header: bytes = dkim.fold(
            b"; ".join(b"=".join(f) for f in fields) + b"\r\n", namelen=len(_NAME)
        )
        return _NAME + b": " + header + message
