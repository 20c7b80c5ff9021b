"""Time-ordered identifiers (UUIDv7): sortable by creation, index-friendly, safe to expose."""

from __future__ import annotations

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    return uuid7()
