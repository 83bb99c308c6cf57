"""The request's unit of work and the authenticated merchant scope."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from bnpl.merchants import service as merchants
from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork


def services():
    return current_app.extensions["bnpl"]


def current_uow() -> UnitOfWork:
    if "uow" not in g:
        svc = services()
        g.uow = UnitOfWork(session=svc.sessionmaker(), clock=svc.clock, settings=svc.settings)
    return g.uow


def close_uow(_exc=None) -> None:
    uow = g.pop("uow", None)
    if uow is not None:
        uow.session.close()  # rolls back whatever was not committed


def stores(view):
    """A GET that may store what it computed (a PDF rendered on demand): commit after the
    view succeeded, so the next request is served the stored copy."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = view(*args, **kwargs)
        current_uow().commit()
        return response

    return wrapper


def authenticate() -> None:
    """before_request of every merchant API blueprint."""
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header[:7].lower() == "bearer " else None
    g.scope = merchants.authenticate(current_uow(), api_key=key)


def current_scope() -> Scope:
    return g.scope
