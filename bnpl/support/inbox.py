"""The mailbox consumers reply to (BNPL_SUPPORT_IMAP_URL), read with the standard library's
imaplib.

``imaps://user:password@imap.example.nl/INBOX`` (TLS from the start, port 993) or
``imap://user:password@host:143/INBOX`` (STARTTLS, required except to a loopback server such
as a test one). The folder is the URL's path (INBOX when none); user name and password are
URL-encoded where they hold '@', ':' or '/'.

Only unread messages are read, and fetched with BODY.PEEK[] so that reading does not mark
them: a message is marked read (\\Seen) only after what it brought is stored, in a transaction
of its own (support.service.take_reply). A pass cut off in between leaves it unread; the next
pass reads it again and finds its Message-ID known, so nothing is lost and nothing is added
twice. What was refused (answers nothing of ours, another sender) is marked read and flagged
(\\Flagged) for a person to look at.
"""
from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass

from bnpl.notifications import mail

LOOPBACK = mail.LOOPBACK
_BODY = re.compile(rb"BODY\[\] \{\d+\}$")


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    tls: str  # "implicit" | "starttls"
    username: str
    password: str
    folder: str = "INBOX"
    timeout: float = 30

    @classmethod
    def from_url(cls, url: str) -> "Mailbox":
        server = mail.server_address(url, setting="BNPL_SUPPORT_IMAP_URL", schemes=("imap", "imaps"), ports=(143, 993))
        if not server.username:
            raise ValueError("BNPL_SUPPORT_IMAP_URL needs a user name and password: imaps://user:password@host/INBOX")
        return cls(host=server.host, port=server.port, tls="implicit" if server.implicit else "starttls",
                   username=server.username, password=server.password or "", folder=server.path or "INBOX")

    def open(self) -> "Connection":
        return Connection(self)


class Connection:
    """One session with the mailbox: ``with mailbox.open() as box: box.unread()…``."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self.imap: imaplib.IMAP4 | None = None

    def __enter__(self) -> "Connection":
        box = self.mailbox
        if box.tls == "implicit":
            self.imap = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=ssl.create_default_context(),
                                          timeout=box.timeout)
        else:
            self.imap = imaplib.IMAP4(box.host, box.port, timeout=box.timeout)
            if "STARTTLS" in self.imap.capabilities:
                self.imap.starttls(ssl_context=ssl.create_default_context())
            elif box.host not in LOOPBACK:  # never send the password or consumers' mail in the clear
                self.imap.shutdown()
                raise ConnectionError(f"{box.host} does not offer STARTTLS; refusing to log in in the clear.")
        self.imap.login(box.username, box.password)
        _ok(self.imap.select(_quoted(box.folder)), f"select {box.folder}")
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass  # the connection is gone already; nothing was marked that should not be

    def unread(self, limit: int) -> list[int]:
        """The UIDs of unread messages, oldest first, at most ``limit``."""
        data = _ok(self.imap.uid("SEARCH", None, "UNSEEN"), "search")
        return [int(uid) for uid in (data[0] or b"").split()][:limit]

    def fetch(self, uid: int) -> bytes | None:
        """The whole message, without marking it read; None if it is gone."""
        data = _ok(self.imap.uid("FETCH", str(uid), "(BODY.PEEK[])"), f"fetch {uid}")
        return next((part[1] for part in data if isinstance(part, tuple) and _BODY.search(part[0])), None)

    def mark_read(self, uid: int, *, flag: bool = False) -> None:
        flags = "(\\Seen \\Flagged)" if flag else "(\\Seen)"
        _ok(self.imap.uid("STORE", str(uid), "+FLAGS", flags), f"mark {uid} read")


def _ok(answer, what: str):
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"IMAP {what}: {status} {data!r}")
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
