"""Domain errors, and their one translation into RFC 9457 ``application/problem+json``.

A service raises a ``DomainError`` subclass; the web layer turns it into a problem
document. Nothing else (no HTML page, no stack trace) ever leaves the API.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidInput(DomainError):
    """422 with ``errors: {field path: [messages]}``, like a schema validation failure."""

    status, slug, title = 422, "validation-failed", "The request has invalid fields"

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None, **extra: Any):
        detail = detail or "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in errors.items())
        super().__init__(detail, errors=errors, **extra)


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Missing or invalid API key"


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Not possible in the current state"


def problem(status: int, title: str, detail: str, slug: str | None = None, **extra: Any) -> Response:
    body = {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"lines.0.quantity": ["..."]}."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": messages}
    flat: dict[str, list[str]] = {}
    items = messages.items() if isinstance(messages, dict) else enumerate(messages)
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten_messages(value, path))
    return flat


_HTTP_DETAILS = {
    400: "The request could not be read.",
    401: "Send your API key as 'Authorization: Bearer <key>'.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request body is larger than this address accepts (1 MB; evidence uploads more).",
    415: "Send the body as JSON with 'Content-Type: application/json'.",
}


def http_exception_problem(error: HTTPException) -> Response:
    """Werkzeug/webargs HTTP errors as problem documents (validation becomes ``errors``)."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    status = error.code or 500
    if status == 422 and messages:
        errors: dict[str, list[str]] = {}
        for location in ("json", "query", "view_args", "headers"):
            errors.update(flatten_messages(messages.get(location, {})))
        errors = errors or flatten_messages(messages)
        detail = "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in errors.items())
        return problem(422, InvalidInput.title, detail, InvalidInput.slug, errors=errors)
    if status == 400 and messages:
        return problem(400, "Malformed JSON", "The body is not valid JSON.", "malformed-json")
    detail = _HTTP_DETAILS.get(status) or error.description or error.name
    response = problem(status, error.name, detail)
    if status == 405 and error.get_response().headers.get("Allow"):
        response.headers["Allow"] = error.get_response().headers["Allow"]
    return response


def challenged(response: Response) -> Response:
    """RFC 6750: a 401 names the scheme to use, and says so when a token was sent and refused."""
    if response.status_code == 401:
        sent = request.headers.get("Authorization", "")[:7].lower() == "bearer "
        response.headers["WWW-Authenticate"] = 'Bearer realm="bnpl"' + (', error="invalid_token"' if sent else "")
    return response


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return challenged(problem(error.status, error.title, error.detail, error.slug, **error.extra))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return challenged(http_exception_problem(error))
        log.exception("unhandled error")
        return problem(500, "Internal error", "Something went wrong on our side; nothing was changed.")
