"""What an endpoint receives: event types, with wildcards (`order.*`, `*`), checked against
the catalogue's public events."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from libs.domain_errors import FieldError


def check_patterns(patterns: list[str], public_types: Iterable[str]) -> list[str]:
    """The patterns, deduplicated; each must name or match at least one public event type."""
    known = sorted(public_types)
    for index, pattern in enumerate(patterns):
        if not any(fnmatch.fnmatchcase(t, pattern) for t in known):
            raise FieldError(f"event_types.{index}", f"{pattern!r} matches no public event "
                             "type", "unknown_event_type")
    return list(dict.fromkeys(patterns))


def wants(patterns: list[str], event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)
