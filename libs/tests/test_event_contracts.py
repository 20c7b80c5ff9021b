"""Event contracts (unit): the committed schemas are current and compatible, and the
compatibility check refuses each kind of breaking change."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import pytest
from pydantic import create_model

from libs.events.base import Event
from libs.events.contracts import (
    asyncapi,
    compatibility_problems,
    event_schema,
    expected_files,
    inline_refs,
    released_problems,
)
from libs.events.schemas.orders import OrderCancelled


def test_every_event_type_is_compatible_with_its_released_schema() -> None:
    assert released_problems() == []


def test_committed_contract_files_are_generated_from_the_catalogue() -> None:
    stale = [str(path) for path, text in expected_files().items()
             if not path.exists() or path.read_text() != text]
    assert stale == [], "run `make events-doc`"


RELEASED: dict[str, Any] = {"order_id": (UUID, ...), "reason": (Literal["a", "b"], ...),
                            "note": (str | None, None), "at": (datetime, ...)}
"""The released shape every change below is judged against."""


def shape(**changes: Any) -> dict[str, Any]:
    """The schema of an event like RELEASED with some fields redeclared (None removes one;
    a bare type is required, a (type, default) pair optional)."""
    fields = dict(RELEASED)
    for name, change in changes.items():
        if change is None:
            fields.pop(name)
        else:
            fields[name] = change if isinstance(change, tuple) else (change, ...)
    return inline_refs(create_model("Example", __base__=Event, **fields).model_json_schema())


@pytest.mark.parametrize(("change", "problem"), [
    ({"note": None}, "note: field removed"),
    ({"at": str}, "at: retyped"),
    ({"order_id": int}, "order_id: retyped"),
    ({"reason": Literal["a"]}, "reason: enum values removed"),
    ({"shop_id": UUID}, "shop_id: new required field"),
])
def test_a_breaking_change_is_refused(change: dict[str, object], problem: str) -> None:
    problems = compatibility_problems(shape(), shape(**change))
    assert any(p.startswith(problem) for p in problems), problems


@pytest.mark.parametrize("change", [
    {"shop_id": (UUID | None, None)},          # an optional field added
    {"reason": Literal["a", "b", "c"]},        # an enum widened
    {"note": (str | int | None, None)},        # a type widened
    {},
])
def test_a_compatible_change_passes(change: dict[str, object]) -> None:
    assert compatibility_problems(shape(), shape(**change)) == []


def test_a_deliberately_broken_committed_schema_fails_the_check(tmp_path: Path) -> None:
    """The check CI runs, against a schemas folder where a released schema still has a field
    that the code has since dropped: it must name the event and the field."""
    schema = event_schema(OrderCancelled)
    schema["properties"]["refund_minor"] = {"type": "integer"}
    (tmp_path / "order.cancelled.v1.json").write_text(json.dumps(schema))
    problems = released_problems(tmp_path)
    assert problems == ["order.cancelled v1: refund_minor: field removed"]


def test_the_asyncapi_document_has_a_channel_per_topic_and_a_message_per_type() -> None:
    document = asyncapi()
    messages = document["components"]["messages"]
    assert messages["order.placed"]["payload"] == {"$ref": "#/components/schemas/order.placed.v1"}
    assert "ce_sequence" in document["components"]["schemas"]["CloudEventHeaders"]["required"]
    assert "order.placed" in document["channels"]["orders.order.v1"]["messages"]
