"""The request's unit of work and the authenticated merchant scope."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Flask, current_app, g, request

from bnpl.tenancy import Scope
from bnpl.uow import UnitOfWork

# Who owns an API key: (uow, api_key=…) -> Scope, or raises Unauthorized. The merchants feature
# provides it and create_app registers it, so the web helpers import no feature.
Authenticator = Callable[..., Scope]


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


def register_authenticator(app: Flask, authenticator: Authenticator) -> None:
    app.extensions["bnpl.authenticator"] = authenticator


def authenticate() -> None:
    """before_request of every merchant API blueprint."""
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header[:7].lower() == "bearer " else None
    uow = current_uow()
    g.scope = current_app.extensions["bnpl.authenticator"](uow, api_key=key)
    if uow.commit_early:  # the key's last use, noted at most once a minute: kept even if the request fails
        uow.commit_early = False
        uow.commit()


def current_scope() -> Scope:
    return g.scope
