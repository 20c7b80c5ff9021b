"""The one catalogue of topics and event types: the topics (`libs.events.topics`) and every
schema module (`libs.events.schemas`), loaded here. `docs/events.md` and the contracts are
generated from it (`make events-doc`) and tests keep them in step."""

from __future__ import annotations

from libs.events import schemas  # noqa: F401 - importing the schemas registers them
from libs.events.base import Event
from libs.events.registry import EVENT_TYPES
from libs.events.topics import TOPICS, Topic, dead_letter_topic

__all__ = ["TOPICS", "Topic", "all_event_types", "dead_letter_topic", "event_class"]


def event_class(event_type: str) -> type[Event] | None:
    return EVENT_TYPES.get(event_type)


def all_event_types() -> dict[str, type[Event]]:
    return dict(EVENT_TYPES)
