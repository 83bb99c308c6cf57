"""A tiny IMAP server on loopback for the mailbox reader's tests: the few commands of RFC 3501
that bnpl.support.inbox sends through the standard library's imaplib (CAPABILITY, LOGIN,
SELECT, UID SEARCH, UID FETCH, UID STORE, NOOP, CLOSE, LOGOUT), over plain TCP (the reader
allows no TLS to a loopback server only), one mailbox.

Why not a package: PyPI's one IMAP server in Python (pymap) is an asyncio application with its
own configuration and dependencies, and a test here must break the connection at a chosen
command (after a message was stored, before it was marked read) and read the flags back; a
hundred lines do both and are read in a minute. Not a server for anything else: no parsing
beyond what imaplib writes, no sequence-number sets, no literals from the client.
"""
from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    """What a test sees: ``deliver(raw)``, ``messages``, ``flags(uid)``, ``hang_up_on`` (a
    command name: the connection is cut when it arrives, before it is carried out), and the
    ``commands`` received, in order."""

    def __init__(self, username: str, password: str, folder: str = "INBOX"):
        self.username, self.password, self.folder = username, password, folder
        self.messages: list[StoredMessage] = []
        self.commands: list[str] = []
        self.hang_up_on: str | None = None
        self.lock = threading.Lock()

    def deliver(self, raw: bytes, flags: set[str] | None = None) -> int:
        with self.lock:
            uid = (self.messages[-1].uid if self.messages else 0) + 1
            self.messages.append(StoredMessage(uid, raw, set(flags or ())))
            return uid

    def flags(self, uid: int) -> set[str]:
        return next(m.flags for m in self.messages if m.uid == uid)


_TOKENS = re.compile(r'"((?:[^"\\]|\\.)*)"|(\([^)]*\))|(\S+)')


def _tokens(text: str) -> list[str]:
    """Atoms, "quoted strings" (unquoted) and (parenthesised lists) as one token each."""
    return [m.group(1).replace('\\"', '"').replace("\\\\", "\\") if m.group(1) is not None else m.group(0)
            for m in _TOKENS.finditer(text)]


class _Session(socketserver.StreamRequestHandler):
    mailbox: Mailbox  # set on the handler class by ImapServer

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self) -> None:
        self.send("* OK IMAP4rev1 test server ready")
        self.logged_in = self.selected = False
        for raw in self.rfile:
            tag, _, rest = raw.decode().rstrip("\r\n").partition(" ")
            words = _tokens(rest)
            if not words:
                self.send(f"{tag} BAD empty command")
                continue
            command = words[0].upper()
            name = f"UID {words[1].upper()}" if command == "UID" and len(words) > 1 else command
            self.mailbox.commands.append(name)
            if self.mailbox.hang_up_on and name.endswith(self.mailbox.hang_up_on):
                self.mailbox.hang_up_on = None  # once: the next connection works
                return
            if not self.command(tag, name, words[1:] if command != "UID" else words[2:]):
                return

    def command(self, tag: str, name: str, args: list[str]) -> bool:
        box = self.mailbox
        if name == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
        elif name == "NOOP":
            pass
        elif name == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif name == "LOGIN":
            if args[:2] != [box.username, box.password]:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] wrong user name or password")
                return True
            self.logged_in = True
        elif not self.logged_in:
            self.send(f"{tag} BAD log in first")
            return True
        elif name in ("SELECT", "EXAMINE"):
            if args[0] != box.folder:
                self.send(f"{tag} NO no mailbox {args[0]}")
                return True
            self.selected = True
            self.send(f"* {len(box.messages)} EXISTS")
            self.send("* FLAGS (\\Seen \\Flagged \\Deleted)")
            self.send(f"{tag} OK [READ-WRITE] {name} completed")
            return True
        elif name == "CLOSE":
            self.selected = False
        elif not self.selected:
            self.send(f"{tag} BAD select a mailbox first")
            return True
        elif name == "UID SEARCH":
            wanted = [m.uid for m in box.messages if args != ["UNSEEN"] or "\\Seen" not in m.flags]
            self.send("* SEARCH" + "".join(f" {uid}" for uid in wanted))
        elif name == "UID FETCH":
            for number, message in self.chosen(args[0]):
                if "BODY.PEEK[]" not in args[1].upper():
                    message.flags.add("\\Seen")  # a plain BODY[] marks it read, as a real server does
                self.send(f"* {number} FETCH (UID {message.uid} BODY[] {{{len(message.raw)}}}".encode())
                self.wfile.write(message.raw)
                self.send(")")
        elif name == "UID STORE":
            flags = set(args[2].strip("()").split())
            for number, message in self.chosen(args[0]):
                message.flags = (message.flags | flags if args[1].upper().startswith("+")
                                 else message.flags - flags if args[1].upper().startswith("-") else flags)
                self.send(f"* {number} FETCH (UID {message.uid} FLAGS ({' '.join(sorted(message.flags))}))")
        else:
            self.send(f"{tag} BAD {name} is not known here")
            return True
        self.send(f"{tag} OK {name} completed")
        return True

    def chosen(self, uids: str):
        wanted = {int(uid) for uid in uids.split(",")}
        return [(number, m) for number, m in enumerate(self.mailbox.messages, 1) if m.uid in wanted]


class ImapServer:
    """A threaded server on 127.0.0.1 (a free port) serving one mailbox; ``url`` for the reader."""

    def __init__(self, mailbox: Mailbox):
        handler = type("Session", (_Session,), {"mailbox": mailbox})
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"imap://{mailbox.username}:{mailbox.password}@127.0.0.1:{self.port}/{mailbox.folder}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ImapServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
