"""E-mail: composing a message from its template, and two ways to send it.

``BNPL_SMTP_URL`` picks the mailer: ``smtp://user:pass@host:587`` (STARTTLS, required
except to a loopback server such as a local mail catcher), ``smtps://…:465`` (TLS from the
start). Without it, messages are written as ``.eml`` files under ``instance/outbox/``.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from bnpl import i18n
from bnpl.resources import TEMPLATES

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class Permanent(Exception):
    """The server refused for good (an unknown recipient): retrying will not help."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send; return what the server said. Raise Permanent, or anything else to retry."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    media_type: str
    data: bytes


def compose(*, kind: str, language: str, to: str, sender: str, message_id: str, context: dict,
            attachments: list[Attachment], sent_at) -> EmailMessage:
    """Subject and text from ``templates/email/<kind>.txt``, HTML from ``<kind>.html``, in the
    reader's language."""
    env = _env(language)
    text = env.get_template(f"email/{kind}.txt")
    subject = "".join(text.blocks["subject"](text.new_context(context)))
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(sent_at)
    # Stable across retries: a receiving system that saw it before can drop the copy.
    message["Message-ID"] = f"<{message_id}@{_domain(sender)}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text.render(context).strip() + "\n")
    message.add_alternative(env.get_template(f"email/{kind}.html").render(context), subtype="html")
    for item in attachments:
        maintype, subtype = item.media_type.split("/")
        message.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return message


def mailer_for(settings) -> Mailer:
    if not settings.smtp_url:
        return FileMailer(settings.instance_path / "outbox")
    return SmtpMailer.from_url(settings.smtp_url)


class FileMailer:
    """Writes each message as <Message-ID>.eml; a repeated delivery rewrites the same file."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: EmailMessage) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0] + ".eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(bytes(message))
        os.replace(temporary, self.folder / name)  # readers never see half a file
        return f"written to {self.folder / name}"


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    tls: str  # "starttls" | "implicit" | "none"
    username: str | None
    password: str | None
    timeout: float = 20

    @classmethod
    def from_url(cls, url: str) -> "SmtpMailer":
        try:
            server = server_address(url, setting="BNPL_SMTP_URL", schemes=("smtp", "smtps"), ports=(587, 465))
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        return cls(host=server.host, port=server.port, tls="implicit" if server.implicit else "starttls",
                   username=server.username, password=server.password)

    def send(self, message: EmailMessage) -> str:
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise Permanent(_refusal(exc.recipients)) from None
            raise  # 4xx: greylisting or a full mailbox; it will likely work later
        except smtplib.SMTPDataError as exc:
            # The server read this message and refused it for good: sending it again will not
            # help. Other 5xx answers (a wrong password, a refused sender) are our configuration:
            # they are retried, so that nothing is lost while an operator fixes it.
            if 500 <= exc.smtp_code < 600:
                raise Permanent(f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}") from None
            raise
        if refused:
            raise Permanent(_refusal(refused))
        return "accepted by the SMTP server"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.tls == "implicit":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        elif self.host not in LOOPBACK:  # never send credentials or invoices in the clear
            smtp.close()
            raise ConnectionError(f"{self.host} does not offer STARTTLS; refusing to send in the clear.")
        return smtp


@dataclass(frozen=True)
class ServerAddress:
    """A mail server as its URL names it (SMTP here, the support desk's IMAP mailbox)."""

    host: str
    port: int
    implicit: bool  # TLS from the start (smtps, imaps), else STARTTLS
    username: str | None
    password: str | None
    path: str  # without its leading /: an IMAP folder


def server_address(url: str, *, setting: str, schemes: tuple[str, str], ports: tuple[int, int]) -> ServerAddress:
    """``scheme://user:password@host:port/path`` with the plain and the TLS scheme and their
    default ports; user name and password URL-decoded."""
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise ValueError(f"{setting} must start with {schemes[0]}:// or {schemes[1]}://, got {parts.scheme}://")
    implicit = parts.scheme == schemes[1]
    return ServerAddress(host=parts.hostname or "localhost", port=parts.port or ports[implicit], implicit=implicit,
                         username=unquote(parts.username) if parts.username else None,
                         password=unquote(parts.password) if parts.password else None,
                         path=unquote(parts.path.lstrip("/")))


def _refusal(recipients: dict) -> str:
    return "; ".join(f"{address}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                     for address, (code, text) in recipients.items())[:300]


def _domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] if "@" in address else "bnpl.invalid"


@lru_cache(maxsize=None)
def _env(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    env.filters["money"] = lambda cents, currency="EUR": i18n.format_money(cents, currency, language)
    # Event data carries dates as ISO text (a dunning letter's deadline); models carry dates.
    env.filters["date"] = lambda day: i18n.format_date(date.fromisoformat(day) if isinstance(day, str) else day,
                                                       language)
    # A moment (a case's deadline, ISO text in event data) on the clock of the context's
    # ``timezone`` (the business timezone; UTC when the context names none).
    env.filters["when"] = pass_context(lambda context, instant: i18n.format_datetime(
        datetime.fromisoformat(instant) if isinstance(instant, str) else instant, language,
        context.get("timezone") or "UTC"))
    env.filters["iban"] = lambda iban: " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return env

