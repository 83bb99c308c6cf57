"""Keyset (cursor) pagination, newest first: stable while new rows arrive."""
from __future__ import annotations

import base64
import json
from datetime import datetime

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from bnpl.errors import InvalidInput


def page(session: Session, query: Select, *, created_col, id_col, cursor: str | None,
         limit: int) -> tuple[list, str | None]:
    if cursor:
        created, last_id = _decode(cursor)
        query = query.where(or_(created_col < created, and_(created_col == created, id_col < last_id)))
    rows = list(session.scalars(query.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode(getattr(last, created_col.key), getattr(last, id_col.key))


def _encode(created: datetime, last_id: str) -> str:
    raw = json.dumps([created.isoformat(), last_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, last_id = json.loads(raw)
        created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            raise ValueError("naive")
        return created, str(last_id)
    except (ValueError, TypeError):
        raise InvalidInput({"cursor": ["Not a cursor from a previous page."]}) from None
