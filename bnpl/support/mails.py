"""Reading a consumer's e-mail reply: which of our messages it answers, who sent it, and what
they wrote above the quoted text."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import parseaddr

from bnpl.errors import InvalidInput

# "On 23 Nov 2026 Anna wrote:", "Op 23 nov. 2026 schreef Anna:", "Am 23.11.2026 schrieb Anna:"
_QUOTE_HEAD = re.compile(r"^(on|op|am) .*(wrote|schreef|schrieb)( .*)?:$", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<([^<>@\s]+)@[^<>\s]+>")


@dataclass(frozen=True)
class Reply:
    sender: str  # the From address, lower case
    answers: list[str]  # ids of the messages it answers (ours are the part before the @), nearest first
    text: str


def read_reply(raw: bytes) -> Reply:
    message = message_from_bytes(raw, policy=policy.default)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    answers = _MESSAGE_ID.findall(str(message.get("In-Reply-To", "")))
    answers += reversed(_MESSAGE_ID.findall(str(message.get("References", ""))))
    body = message.get_body(("plain",))
    if body is None or not sender:
        raise InvalidInput({"file": ["Not an e-mail with a sender and a plain text part."]})
    return Reply(sender=sender, answers=list(dict.fromkeys(answers)), text=_above_quote(body.get_content()))


def message_key(raw: bytes) -> str:
    """What makes a mail the same mail when it is read again: its Message-ID, else its bytes."""
    message_id = message_from_bytes(raw, policy=policy.compat32).get("Message-ID", "")
    found = re.search(r"<([^<>\s]+)>", str(message_id))
    return found.group(1)[:300] if found else "sha256:" + hashlib.sha256(raw).hexdigest()


def _above_quote(text: str) -> str:
    """What the person wrote: the lines before the quoted message (and its 'X wrote:' line)."""
    kept = []
    for line in text.splitlines():
        if line.startswith(">") or _QUOTE_HEAD.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip()
