"""Cursor pagination: opaque cursors that encode the last row's sort key, stable under inserts."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel, Field

from libs.errors import Problem

T = TypeVar("T")
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(list(values), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_cursor() -> Problem:
    return Problem(422, "Validation failed", "The cursor is not valid for this list.",
                   errors=[{"field": "query.cursor", "message": "invalid cursor",
                            "code": "cursor_invalid"}])


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != arity:
        raise invalid_cursor()
    return values


class PageParams(BaseModel):
    cursor: str | None = None
    limit: int = 20


def page_params(
    cursor: Annotated[str | None, Query(description="Cursor from a previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 20,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


def time_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """The (moment, id) position of a list ordered by time then id; None for the first page."""
    if not cursor:
        return None
    moment, row_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(moment), UUID(row_id)
    except (TypeError, ValueError):
        raise invalid_cursor() from None


def page_of(items: list[T], limit: int, cursor_of: Callable[[T], tuple[Any, ...]]) -> Page[T]:
    """A page from `limit + 1` fetched items: the extra one only says another page exists, and
    the last item shown gives the cursor (`cursor_of(item)`, the sort key's values)."""
    shown = items[:limit]
    more = len(items) > limit and bool(shown)
    return Page[T](items=shown, next_cursor=encode_cursor(*cursor_of(shown[-1])) if more else None)


def id_cursor(cursor: str | None) -> UUID | None:
    """The id a list ordered by id resumes after; None for the first page."""
    if not cursor:
        return None
    try:
        return UUID(str(decode_cursor(cursor, 1)[0]))
    except ValueError:
        raise invalid_cursor() from None
