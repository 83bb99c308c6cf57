"""The portal's part in data rights: its own data (sign-in links, remembered devices, sign-in
counts: all go on erasure), and the consumer's download and erasure of everything, which need
the e-mailed link's sign-in (an invoice number and postcode open one invoice only)."""
from __future__ import annotations

from sqlalchemy import delete, or_, select

from bnpl.portal.models import Device, SignInLink
from bnpl.web.models import Throttle
from bnpl.i18n import said
from bnpl.portal.service import NeedsLinkSignIn
from bnpl.privacy import service as privacy

PORTAL = "consumer (portal)"  # who erased, in the audit log


def download(uow, *, viewer) -> bytes:
    """Everything we hold about the signed-in consumer, as a zip."""
    return privacy.archive(privacy.export(uow, email=_whole_account(viewer)))


def erasure_refusals(uow, *, viewer) -> list[str]:
    return privacy.refusals(uow, privacy.find(uow, email=_whole_account(viewer)))


def erase_account(uow, *, viewer) -> list[str]:
    return privacy.erase(uow, email=_whole_account(viewer), actor=PORTAL)


def _whole_account(viewer) -> str:
    if not viewer.whole_account:
        raise NeedsLinkSignIn(said("For this, sign in with the link we e-mail you: an invoice number and postcode "
                                   "only open that one invoice."))
    return viewer.email


def _devices(uow, subject):
    return or_(Device.email == subject.email, Device.invoice_id.in_(subject.of("invoices")))


def export(uow, subject) -> dict:
    devices = uow.session.scalars(select(Device).where(_devices(uow, subject)))
    return {"portal_devices": [{"signed_in_at": d.created_at.isoformat(), "last_seen_at": d.last_seen_at.isoformat()}
                               for d in devices]}


def erase(uow, subject) -> list[str]:
    uow.session.execute(delete(Device).where(_devices(uow, subject)))
    uow.session.execute(delete(SignInLink).where(SignInLink.email == subject.email))
    uow.session.execute(delete(Throttle).where(Throttle.key.contains(subject.email)))
    return []


def purge(uow) -> dict[str, int]:
    """A used or expired link opens nothing, an expired device signs in no one: neither is kept."""
    now = uow.now()
    links = uow.session.execute(delete(SignInLink).where(or_(SignInLink.used_at.is_not(None),
                                                            SignInLink.expires_at < now)))
    devices = uow.session.execute(delete(Device).where(Device.expires_at < now))
    return {"sign-in links": links.rowcount, "devices": devices.rowcount}
