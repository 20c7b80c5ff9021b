"""When a privacy request is done, and the archive an export becomes: pure rules."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

from services.support.domain.privacy import (
    ANSWERING_SERVICES,
    Answer,
    archive,
    documents,
    is_complete,
    new_pseudonym,
    progress,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_a_request_is_done_only_when_every_service_has_every_piece_in() -> None:
    answers = [Answer(s, 1, 1, NOW) for s in ANSWERING_SERVICES if s != "orders"]
    assert not is_complete(ANSWERING_SERVICES, answers)
    answers += [Answer("orders", 1, 2, NOW)]
    assert not is_complete(ANSWERING_SERVICES, answers)
    orders = next(p for p in progress(ANSWERING_SERVICES, answers) if p.service == "orders")
    assert (orders.answered, orders.parts_received, orders.parts) == (False, 1, 2)
    answers += [Answer("orders", 2, 2, NOW)]
    assert is_complete(ANSWERING_SERVICES, answers)


def test_an_answer_from_a_service_not_asked_does_not_complete_a_request() -> None:
    assert not is_complete(["orders"], [Answer("intruder", 1, 1, NOW)])


def test_the_archive_holds_one_document_per_service_from_its_pieces() -> None:
    text = json.dumps({"service": "orders", "tables": {"orders": [{"id": "o-1"}]}})
    pieces = [("orders", 2, text[10:]), ("orders", 1, text[:10]), ("live", 1, "{}")]
    data = archive("r-1", NOW, documents(pieces))
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        assert sorted(opened.namelist()) == ["live.json", "manifest.json", "orders.json"]
        assert json.loads(opened.read("orders.json"))["tables"]["orders"] == [{"id": "o-1"}]
        assert json.loads(opened.read("manifest.json"))["services"] == ["live", "orders"]


def test_pseudonyms_are_random_and_match_the_event_contract() -> None:
    first, second = new_pseudonym(), new_pseudonym()
    assert first != second and first.startswith("erased-") and len(first) == 39
