"""Private Postfix and Dovecot instances for tests (Debian packages, installed by .ci/run).

Both run from a temporary directory, listen on 127.0.0.1 on free ports other than 25, and
deliver to a Maildir there; Postfix relays nothing (default and relay transports are
error:), and authenticates submission through Dovecot's auth socket in its queue directory.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import trustme

from tests.smtpfixtures import free_port

USER, PASSWORD = "alice@postfix.test", "Dovecot-Pa55"
# a second user whose password is not ASCII (UTF-8 through SASL PLAIN or an IMAP literal)
UTF8_USER, UTF8_PASSWORD = "bob@postfix.test", "Dövecot-Pä55-€"


# Daemons live in sbin, which a CI job's PATH may leave out.
SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])


def tool(name: str) -> str:
    found = shutil.which(name, path=SEARCH)
    if found is None:
        raise RuntimeError(f"{name} is not installed")
    return found


def available() -> bool:
    return (
        all(shutil.which(name, path=SEARCH) for name in ("postfix", "dovecot", "doveadm"))
        and Path("/usr/share/postfix/master.cf.dist").exists()
        and os.geteuid() == 0
    )


def wait_for(port: int, host: str = "127.0.0.1", seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {seconds} s")


@dataclass
class Ports:
    smtp: int
    submission: int
    imap: int
    imaps: int
    pop3: int
    pop3s: int


class MailServers:
    """`with MailServers(ca) as servers:` Dovecot (IMAP, POP3, SASL) and Postfix."""

    def __init__(self, ca: trustme.CA) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mailcheck-mta-"))
        self.root.chmod(0o755)
        self.ca = ca
        self.ports = Ports(*(free_port() for _ in range(6)))
        self.maildir = self.root / "mail" / "alice"  # Postfix delivers where Dovecot reads
        self.dovecot_conf = self.root / "dovecot.conf"
        self.postfix_etc = self.root / "postfix"

    # -- setup ------------------------------------------------------------------------

    def _certs(self) -> tuple[Path, Path]:
        cert = self.ca.issue_cert("mx.postfix.test", "imap.postfix.test", "localhost")
        cert_path, key_path = self.root / "cert.pem", self.root / "key.pem"
        cert.cert_chain_pems[0].write_to_path(str(cert_path))
        cert.private_key_pem.write_to_path(str(key_path))
        key_path.chmod(0o644)
        return cert_path, key_path

    def _dovecot(self, cert: Path, key: Path) -> None:
        dovecot = pwd.getpwnam("dovecot")
        users = self.root / "users"
        users.write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}::::::\n{UTF8_USER}:{{PLAIN}}{UTF8_PASSWORD}::::::\n",
            encoding="utf-8",
        )
        users.chmod(0o644)
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, dovecot.pw_uid, dovecot.pw_gid)
        queue_private = self.root / "queue" / "private"
        queue_private.mkdir(parents=True)
        postfix = pwd.getpwnam("postfix")
        os.chown(queue_private, postfix.pw_uid, postfix.pw_gid)
        queue_private.chmod(0o700)
        p = self.ports
        self.dovecot_conf.write_text(f"""
base_dir = {self.root}/dovecot-run
state_dir = {self.root}/dovecot-state
log_path = {self.root}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:{mail}/%n
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid={dovecot.pw_uid} gid={dovecot.pw_gid} home={mail}/%n
}}
service imap-login {{
  inet_listener imap {{
    port = {p.imap}
  }}
  inet_listener imaps {{
    port = {p.imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {p.pop3}
  }}
  inet_listener pop3s {{
    port = {p.pop3s}
    ssl = yes
  }}
}}
service auth {{
  unix_listener {queue_private}/auth {{
    mode = 0666
  }}
}}
""")
        # daemons keep inherited pipes open: send their output to a file, not a pipe
        with (self.root / "start.log").open("ab") as log:
            subprocess.run(
                [tool("dovecot"), "-c", str(self.dovecot_conf)],
                check=True,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
            )

    def _postfix(self, cert: Path, key: Path) -> None:
        etc = self.postfix_etc
        etc.mkdir()
        dovecot = pwd.getpwnam("dovecot")
        queue = self.root / "queue"
        data = self.root / "data"
        data.mkdir()
        postfix = pwd.getpwnam("postfix")
        os.chown(data, postfix.pw_uid, postfix.pw_gid)
        p = self.ports
        (etc / "main.cf").write_text(f"""
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {self.root}/data
mail_owner = postfix
myhostname = mx.postfix.test
mydomain = postfix.test
myorigin = postfix.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.250/32
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = postfix.test
virtual_mailbox_base = {self.root}/mail
virtual_mailbox_maps = static:alice/
virtual_uid_maps = static:{dovecot.pw_uid}
virtual_gid_maps = static:{dovecot.pw_gid}
default_transport = error:mailcheck test instance, no relaying
relay_transport = error:mailcheck test instance, no relaying
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
maillog_file = {self.root}/maillog
maillog_file_prefixes = {self.root}
smtputf8_enable = yes
message_size_limit = 1048576
# no pause per message when arrivals outpace deliveries (1 s by default): after many benchmark
# runs it made RCPT take a second, for swaks as for mailcheck
in_flow_delay = 0
biff = no
""")
        # the package's pristine master.cf, not the (possibly edited) one in /etc/postfix
        master = Path("/usr/share/postfix/master.cf.dist").read_text()
        lines = []
        for line in master.splitlines():
            if re.match(r"^smtp\s+inet\b", line):
                line = f"127.0.0.1:{p.smtp} inet n - n - - smtpd"
                line += (
                    f"\n127.0.0.1:{p.submission} inet n - n - - smtpd\n"
                    "  -o smtpd_tls_security_level=encrypt\n"
                    "  -o smtpd_sasl_auth_enable=yes\n"
                    "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
                    "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject"
                )
            elif re.match(r"^\S+\s+(unix|inet|fifo|pass|unix-dgram)\s", line):
                fields = line.split()
                if len(fields) >= 8:
                    fields[4] = "n"  # no chroot: the private queue is not prepared for it
                    line = "  ".join(fields)
            lines.append(line)
        (etc / "master.cf").write_text("\n".join(lines) + "\n")
        env = {**os.environ, "MAIL_CONFIG": str(etc), "PATH": SEARCH}
        with (self.root / "start.log").open("ab") as log:
            for action in ("check", "start"):
                subprocess.run(
                    [tool("postfix"), "-c", str(etc), action],
                    check=True,
                    env=env,
                    stdout=log,
                    stderr=log,
                    stdin=subprocess.DEVNULL,
                )

    def __enter__(self) -> MailServers:
        try:
            cert, key = self._certs()
            self._dovecot(cert, key)
            self._postfix(cert, key)
            for port in (self.ports.smtp, self.ports.submission, self.ports.imap, self.ports.pop3):
                wait_for(port)
        except BaseException:
            log = self.log()
            self.__exit__()
            raise RuntimeError(f"private Postfix/Dovecot did not start:\n{log[-3000:]}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        env = {**os.environ, "MAIL_CONFIG": str(self.postfix_etc), "PATH": SEARCH}
        for command in (
            [tool("postfix"), "-c", str(self.postfix_etc), "stop"],
            [tool("doveadm"), "-c", str(self.dovecot_conf), "stop"],
        ):
            subprocess.run(
                command,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        time.sleep(0.3)
        shutil.rmtree(self.root, ignore_errors=True)

    def delivered(self, timeout: float = 15) -> list[Path]:
        """Files in the inbox Maildir's new/ (Postfix delivers shortly after accepting)."""
        deadline = time.monotonic() + timeout
        new = self.maildir / "new"
        while time.monotonic() < deadline:
            if new.is_dir():
                files = sorted(new.iterdir())
                if files:
                    return files
            time.sleep(0.2)
        return []

    def log(self) -> str:
        parts = []
        for name in ("start.log", "maillog", "dovecot.log"):
            path = self.root / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)
