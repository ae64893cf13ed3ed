"""A private Postfix instance on a loopback port for acceptance tests: its own configuration,
queue and log under a temporary directory (``postfix -c DIR``), strict about the greeting,
quick to drop idle clients, answering chosen recipients with chosen codes, and relaying
everything it accepts to a local sink. The system's own Postfix, if any, is left alone."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

POSTFIX = Path("/usr/sbin/postfix")

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.acceptance.invalid
mydomain = acceptance.invalid
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
smtpd_peername_lookup = no
smtputf8_enable = no
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{root}/conf/recipients, permit_mynetworks, reject
smtpd_timeout = {idle}
relayhost = [127.0.0.1]:{relay_port}
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def unavailable() -> str:
    """Why a private Postfix cannot run here, or ''."""
    if not POSTFIX.exists():
        return "Postfix is not installed (apt-get install postfix; .ci/run does)"
    if os.geteuid() != 0:
        return "a private Postfix needs root: its master starts daemons as the postfix user"
    if not shutil.which("script"):
        return "util-linux 'script' is missing (it shows what postfix says on start)"
    return ""


class Postfix:
    def __init__(
        self, *, port: int, relay_port: int, recipients: dict[str, str], idle: str = "5s"
    ) -> None:
        # Not under pytest's private tmp: Postfix's daemons, running as "postfix", must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="tidings-postfix-", dir="/tmp"))
        self.root.chmod(0o755)
        self.port = port
        conf = self.root / "conf"
        conf.mkdir()
        (self.root / "queue").mkdir()
        data = self.root / "data"
        data.mkdir(mode=0o700)
        shutil.chown(data, user="postfix")
        (conf / "main.cf").write_text(
            MAIN_CF.format(root=self.root, idle=idle, relay_port=relay_port)
        )
        (conf / "master.cf").write_text(MASTER_CF.format(port=port))
        (conf / "recipients").write_text(
            "".join(f"{a} {reply}\n" for a, reply in recipients.items())
        )

    def _postfix(self, command: str) -> str:
        # Postfix writes its complaints to the terminal only: give it one.
        out = subprocess.run(
            ["script", "-qc", f"{POSTFIX} -c {self.root / 'conf'} {command}", "/dev/null"],
            capture_output=True, text=True, timeout=60, check=False,  # judged by what it said
        )  # fmt: skip
        return out.stdout + out.stderr

    def start(self) -> Postfix:
        said = self._postfix("start")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"Postfix did not start: {said}\n{self.log()}")

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        said = self._postfix("stop")
        if "stopping" not in said:
            self._postfix("abort")
        shutil.rmtree(self.root, ignore_errors=True)
