"""The event catalogue is consistent and its documentation current (unit)."""

from __future__ import annotations

from pathlib import Path

from libs.events.catalogue import TOPICS, all_event_types
from libs.events.docs import render
from libs.events.topics import EVERY_SERVICE

ROOT = Path(__file__).resolve().parents[2]


SHARED_FAMILIES = {"privacy": {"support", EVERY_SERVICE}}
"""Schema modules named for a concern rather than a producer, and who may produce in them."""


def test_every_event_names_a_catalogued_topic_and_a_key_field() -> None:
    for type_name, cls in all_event_types().items():
        assert cls.topic in TOPICS, type_name
        assert cls.key_field in cls.model_fields, type_name
        module = cls.__module__.rsplit(".", 1)[-1]
        producers = SHARED_FAMILIES.get(module, {module})
        assert TOPICS[cls.topic].producer in producers, (
            f"{type_name} is declared by a service that does not produce {cls.topic}")


def test_docs_events_md_is_generated_from_the_catalogue() -> None:
    assert (ROOT / "docs" / "events.md").read_text() == render(), "run `make events-doc`"


def test_every_public_event_names_the_seller_it_belongs_to() -> None:
    """Webhooks deliver a public event to its seller's endpoints only: it must say whose it is."""
    from libs.events.catalogue import all_event_types
    from libs.events.registry import EVENT_TYPES

    all_event_types()
    anonymous = [t for t, cls in EVENT_TYPES.items()
                 if cls.public and "seller_id" not in cls.model_fields]
    assert anonymous == []
