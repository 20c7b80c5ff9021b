"""The event catalogue is consistent and its documentation current (unit)."""

from __future__ import annotations

from pathlib import Path

from libs.events.catalogue import TOPICS, all_event_types
from libs.events.docs import render

ROOT = Path(__file__).resolve().parents[2]


def test_every_event_names_a_catalogued_topic_and_a_key_field() -> None:
    for type_name, cls in all_event_types().items():
        assert cls.topic in TOPICS, type_name
        assert cls.key_field in cls.model_fields, type_name
        assert TOPICS[cls.topic].producer == cls.__module__.rsplit(".", 1)[-1], (
            f"{type_name} is declared by a service that does not produce {cls.topic}")


def test_docs_events_md_is_generated_from_the_catalogue() -> None:
    assert (ROOT / "docs" / "events.md").read_text() == render(), "run `make events-doc`"
