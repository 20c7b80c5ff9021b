"""The erasure sweep's rules on values, without a database: ids replaced as whole words, the
personal fields of objects about the subject blanked, other people's data left alone."""

from __future__ import annotations

import json

from libs.privacy import ERASED, scrub_json, split_document, word_pattern

SUBJECT = "buyer-7"
PSEUDONYM = "erased-" + "a" * 32


def test_the_subject_is_replaced_as_a_whole_id_only() -> None:
    pattern = word_pattern(SUBJECT)
    assert pattern.subn(PSEUDONYM, "wallet:buyer-7")[0] == f"wallet:{PSEUDONYM}"
    assert pattern.subn(PSEUDONYM, "buyer-70")[1] == 0
    assert pattern.subn(PSEUDONYM, "xbuyer-7")[1] == 0
    assert word_pattern("auth0|12").subn(PSEUDONYM, "a:auth0|12")[1] == 1


def test_an_order_event_about_the_subject_loses_the_address_but_keeps_the_country() -> None:
    payload = {"order_id": "o-1", "buyer_id": SUBJECT, "zone": "domestic",
               "ship_to": {"name": "Ada Marker", "line1": "1 Marker St", "city": "Leeds",
                           "postcode": "LS1 1AA", "country": "GB"},
               "lines": [{"sku_id": "s-1", "quantity": 2}]}
    scrubbed, changes = scrub_json(payload, word_pattern(SUBJECT), PSEUDONYM)
    assert scrubbed["buyer_id"] == PSEUDONYM
    assert scrubbed["ship_to"] == {"country": "GB", "erased": True}
    assert scrubbed["lines"] == payload["lines"] and scrubbed["zone"] == "domestic"
    assert changes == 2
    assert "Marker" not in json.dumps(scrubbed)


def test_objects_about_someone_else_keep_their_content() -> None:
    payload = {"messages": [{"author": SUBJECT, "text": "my address is 1 Marker St"},
                            {"author": "buyer-8", "text": "hello"}]}
    scrubbed, _ = scrub_json(payload, word_pattern(SUBJECT), PSEUDONYM)
    assert scrubbed["messages"][0] == {"author": PSEUDONYM, "text": ERASED}
    assert scrubbed["messages"][1] == {"author": "buyer-8", "text": "hello"}


def test_a_document_without_the_subject_is_unchanged() -> None:
    payload = {"buyer_id": "buyer-70", "ship_to": {"country": "DE", "name": "B"}}
    assert scrub_json(payload, word_pattern(SUBJECT), PSEUDONYM) == (payload, 0)


def test_a_large_document_is_split_and_joins_back() -> None:
    document = {"rows": [{"n": i, "text": "x" * 50} for i in range(5_000)]}
    pieces = split_document(document, part_chars=10_000)
    assert len(pieces) > 20 and all(len(p) <= 10_000 for p in pieces)
    assert json.loads("".join(pieces)) == document
