"""What DKIM signing costs per recipient, in the email channel's own code path.

    .venv/bin/python bench/email_dkim.py                # 2,000 messages per row
    .venv/bin/python bench/email_dkim.py --n 500

Rows, all for one rendered update (text and HTML parts) and a fresh
recipient each time: the message bytes without DKIM (render once, substitute the recipient's
address, Message-ID and links), the same signed by Tidings' signer (dkimpy parses and
canonicalises, OpenSSL signs; RSA-2048), and the peer: dkimpy's own ``dkim.sign`` on the same
bytes (its RSA is pure Python). Signatures are checked with ``dkim.verify`` once per row. CPU
only, no network; the machine's load is printed because other work on it skews the figures.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    a = p.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    os.environ.setdefault("TIDINGS_DATA_DIR", tempfile.mkdtemp(prefix="tidings-dkim-"))
    import django

    django.setup()
    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from tests.notify.channel_kit import outgoing

    from tidings.config import get_settings
    from tidings.notify.channels.email.channel import EmailChannel

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    key_file = Path(tempfile.mkdtemp(prefix="tidings-dkim-")) / "key.pem"
    key_file.write_bytes(pem)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    base = get_settings().model_copy(update={"email_from": "status@acme.test"})
    signed = base.model_copy(update={"dkim_key_file": key_file, "dkim_selector": "bench"})
    batch = outgoing("email", [f"user{i}@example.com" for i in range(a.n)])
    plain, ours = EmailChannel(base), EmailChannel(signed)
    rows = []

    start = time.perf_counter()
    unsigned = [plain.bytes_for(o) for o in batch]
    rows.append(("no DKIM (render once, substitute)", time.perf_counter() - start))

    start = time.perf_counter()
    mine = [ours.bytes_for(o) for o in batch]
    rows.append(("Tidings signer (dkimpy + OpenSSL RSA)", time.perf_counter() - start))

    start = time.perf_counter()
    theirs = [dkim.sign(m, b"bench", b"acme.test", pem, canonicalize=(b"relaxed", b"relaxed"))
              for m in unsigned]  # fmt: skip
    rows.append(("peer: dkimpy dkim.sign (pure-Python RSA)", time.perf_counter() - start))

    assert dkim.verify(mine[-1], dnsfunc=dns), "our signature does not verify"
    assert dkim.verify(theirs[-1] + unsigned[-1], dnsfunc=dns), "dkimpy's does not verify"
    size = sum(map(len, unsigned)) / len(unsigned)
    print(
        f"load average {os.getloadavg()[0]:.2f}; {a.n:,} messages of {size / 1024:.1f} KB, RSA-2048"
    )
    for name, seconds in rows:
        print(
            f"  {name:<42} {seconds / a.n * 1000:7.3f} ms/message  {a.n / seconds:9,.0f} messages/s"
        )
    extra = (rows[1][1] - rows[0][1]) / a.n * 1000
    print(f"DKIM adds {extra:.3f} ms a message in Tidings' signer, "
          f"{(rows[2][1]) / a.n * 1000:.3f} ms with dkimpy's own RSA")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
