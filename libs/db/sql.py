"""Small SQL helpers shared by repositories."""

from __future__ import annotations


def locking(select: str, for_update: bool) -> str:
    """The query, locking the rows it reads when the caller will change them."""
    return f"{select} FOR UPDATE" if for_update else select
