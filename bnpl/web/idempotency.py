"""Every write commits once, after the view succeeded; a POST with an ``Idempotency-Key``
answers repeats with the first response.

Concurrency: the key's row is inserted as the first statement of the request's
transaction. A second request with the same key blocks on the unique index until the
first commits (PostgreSQL) or waits for the write lock (SQLite), then finds the stored
response and replays it. Failed requests store nothing, so a corrected retry may reuse
the key.
"""
from __future__ import annotations

import hashlib
import json
from functools import wraps

from flask import Response, make_response, request
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest, HTTPException

from bnpl.errors import Conflict, DomainError
from bnpl.sql import Prepared
from bnpl.web.context import current_scope, current_uow
from bnpl.web.models import IdempotencyKey

REPLAYED = "Idempotent-Replayed"
_KEYS = IdempotencyKey.__table__
# Compiled once and run on the driver: two statements of every POST with a key.
_CLAIM = Prepared(insert(_KEYS).returning(_KEYS.c.id))
_STORE = Prepared(update(_KEYS).where(_KEYS.c.id == bindparam("row_id"))
                  .values(status_code=bindparam("status_code"), content_type=bindparam("content_type"),
                          body=bindparam("body")))
_STORED = Prepared(select(_KEYS.c.status_code, _KEYS.c.fingerprint, _KEYS.c.body, _KEYS.c.content_type).where(
    _KEYS.c.merchant_id == bindparam("merchant_id"), _KEYS.c.livemode == bindparam("livemode"),
    _KEYS.c.key == bindparam("key")))


class BadIdempotencyKey(DomainError):
    status, slug, title = 400, "bad-idempotency-key", "Unusable Idempotency-Key"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Send JSON"


def writes(view):
    """Wrap a view that changes data: JSON only, one commit, idempotent POSTs."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        _require_json()
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key is not None:
            return _idempotent(key, view, args, kwargs)
        response = _run(view, args, kwargs)
        _commit()
        return response

    return wrapper


class MalformedJson(DomainError):
    status, slug, title = 400, "malformed-json", "Malformed JSON"


def _require_json() -> None:
    if request.content_length or request.headers.get("Transfer-Encoding"):
        if not request.is_json:
            raise UnsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'.")
        try:  # Flask caches the result for webargs; nesting or number limits must not become a 500
            request.get_json()
        except (BadRequest, ValueError, RecursionError):
            raise MalformedJson("The body is not valid JSON (or is nested or sized beyond reason).") from None


def _idempotent(key: str, view, args, kwargs) -> Response:
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise BadIdempotencyKey("An Idempotency-Key is 1 to 255 printable characters, e.g. a UUID.")
    uow, scope = current_uow(), current_scope()
    fingerprint = _fingerprint()
    try:
        row_id = _CLAIM.scalar(uow.session, merchant_id=scope.merchant_id, livemode=scope.livemode, key=key,
                               fingerprint=fingerprint, created_at=uow.now())
    except IntegrityError:
        uow.rollback()
        return _replay(key, fingerprint)
    response = _run(view, args, kwargs)
    _STORE.run(uow.session, row_id=row_id, status_code=response.status_code, content_type=response.content_type,
               body=response.get_data(as_text=True))
    _commit()
    return response


def _replay(key: str, fingerprint: str) -> Response:
    uow, scope = current_uow(), current_scope()
    stored = _STORED.first(uow.session, merchant_id=scope.merchant_id, livemode=scope.livemode, key=key)
    if stored is None or stored[0] is None:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry in a moment.")
    status_code, stored_fingerprint, body, content_type = stored
    if stored_fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was used for a different request; use a new key for a new request.")
    response = Response(body, status=status_code, content_type=content_type)
    response.headers[REPLAYED] = "true"
    return response


def _fingerprint() -> str:
    """The request's method, path and body; JSON is compared by content, not by layout."""
    raw = request.get_data()
    try:
        # Parsed once: _require_json had Flask parse a body (json.loads, cached on the request).
        body = json.dumps(request.get_json(), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except (HTTPException, ValueError, RecursionError):  # not JSON after all: the bytes as sent
        body = raw
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


CONCURRENT_CHANGE = "A concurrent request created or changed the same data; nothing was changed. Retry to see the current state."


def _run(view, args, kwargs) -> Response:
    # A unique constraint that fires here lost a race that the service's own check could
    # not see (e.g. two orders with one merchant_reference at the same instant).
    try:
        return make_response(view(*args, **kwargs))
    except IntegrityError:
        current_uow().rollback()
        raise Conflict(CONCURRENT_CHANGE) from None


def _commit() -> None:
    uow = current_uow()
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise Conflict(CONCURRENT_CHANGE) from None
