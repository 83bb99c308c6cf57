"""Export and erasure of what we hold about the person behind an e-mail address.

Each feature that holds personal data registers a holder (bnpl.app.wire), a module with any of:
  identify(uow, subject)      add what it knows: consumer ids, object ids, names, IBANs
  blocks(uow, subject)        reasons erasure must wait (an open debt, a running dispute)
  export(uow, subject)        {section: [rows as plain dicts]}
  files(uow, subject)         {path in the zip: bytes} (the PDFs)
  erase(uow, subject)         remove or reduce its data; what it must keep, it returns as a note
  purge(uow)                  delete what has served its purpose (retention): {what: count}
Holders run in the order they were registered, all in one transaction.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

from bnpl import redact
from bnpl.audit import service as audit
from bnpl.errors import Conflict
from bnpl.uow import UnitOfWork

_HOLDERS: list = []


def register(holder) -> None:
    if holder not in _HOLDERS:
        _HOLDERS.append(holder)


@dataclass
class Subject:
    """The person as one e-mail address leads to them."""

    email: str
    consumer_ids: set[str] = field(default_factory=set)
    ids: dict[str, set[str]] = field(default_factory=dict)  # kind -> ids: orders, invoices, …
    merchant_ids: set[str] = field(default_factory=set)
    personal: set[str] = field(default_factory=set)  # strings that are this person's data

    def add_ids(self, kind: str, ids) -> None:
        self.ids.setdefault(kind, set()).update(ids)

    def of(self, kind: str) -> set[str]:
        return self.ids.get(kind, set())

    def add_personal(self, *values) -> None:
        self.personal |= redact.needles(values)


@dataclass
class Export:
    data: dict
    files: dict[str, bytes]


def find(uow: UnitOfWork, *, email: str) -> Subject:
    subject = Subject(email=email.strip().lower())
    subject.add_personal(subject.email)
    for holder in _HOLDERS:
        if hasattr(holder, "identify"):
            holder.identify(uow, subject)
    return subject


def export(uow: UnitOfWork, *, email: str) -> Export:
    """Everything held about the person, for them to take away."""
    subject = find(uow, email=email)
    data, files = {"email": subject.email}, {}
    for holder in _HOLDERS:
        if subject.consumer_ids and hasattr(holder, "export"):
            data.update(holder.export(uow, subject))
        if subject.consumer_ids and hasattr(holder, "files"):
            files.update(holder.files(uow, subject))
    data.setdefault("orders", [])
    return Export(data=data, files=files)


def archive(found: Export) -> bytes:
    """The export as the person takes it away: data.json and the documents, in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("data.json", json.dumps(found.data, indent=2, ensure_ascii=False))
        for path, content in sorted(found.files.items()):
            zipped.writestr(path, content)
    return buffer.getvalue()


def refusals(uow: UnitOfWork, subject: Subject) -> list[str]:
    return [reason for holder in _HOLDERS if hasattr(holder, "blocks") for reason in holder.blocks(uow, subject)]


def erase(uow: UnitOfWork, *, email: str, actor: str) -> list[str]:
    """Remove or reduce the person's data; refused (409) while anything blocks it. Returns
    notes on what was kept and why."""
    subject = find(uow, email=email)
    if not subject.consumer_ids:
        raise Conflict(f"We hold no purchases of {subject.email}.")
    reasons = refusals(uow, subject)
    if reasons:
        raise Conflict("Erasure must wait: " + "; ".join(reasons) + ".")
    notes = []
    for holder in _HOLDERS:
        if hasattr(holder, "erase"):
            notes += holder.erase(uow, subject) or []
    # The consumer ids, not the address: the log must not keep what was just erased.
    audit.record(uow, actor=actor, action="consumer.erased", consumers=sorted(subject.consumer_ids))
    return notes


def purge_expired(uow: UnitOfWork) -> dict[str, int]:
    """Every holder's retention pass, in one transaction: {what: how many went}."""
    counts = {}
    for holder in _HOLDERS:
        if hasattr(holder, "purge"):
            counts.update(holder.purge(uow))
    return counts
