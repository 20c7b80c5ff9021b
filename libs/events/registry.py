"""The registry event schemas add themselves to (`@register`). It imports no schema, so the
schema modules can import it without a circle; `libs.events.catalogue` loads them all."""

from __future__ import annotations

from libs.events.base import Event
from libs.events.topics import TOPICS

EVENT_TYPES: dict[str, type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator adding an event schema to the registry."""
    if cls.topic not in TOPICS:
        raise ValueError(f"{cls.__name__}: unknown topic {cls.topic!r}")
    if cls.key_field != TOPICS[cls.topic].key:
        raise ValueError(f"{cls.__name__}: events on {cls.topic} are keyed by "
                         f"{TOPICS[cls.topic].key}, not {cls.key_field}")
    previous = EVENT_TYPES.get(cls.type)
    if previous is not None and previous is not cls:
        raise ValueError(f"event type {cls.type!r} registered twice")
    EVENT_TYPES[cls.type] = cls
    return cls
