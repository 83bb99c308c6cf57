"""The portal: sign-in links, remembered devices and sign-in counts of the person: all go."""
from __future__ import annotations

from sqlalchemy import delete, or_, select

from bnpl.portal.models import Device, SignInLink, Throttle


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
