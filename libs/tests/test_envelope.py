"""CloudEvents envelope: what goes on the wire and what is refused (unit, no servers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from libs.events.envelope import Envelope, MalformedMessage, UnknownEventType, from_kafka, to_kafka
from libs.events.schemas.catalog import SellerRegistered
from libs.ids import new_id


def registered() -> SellerRegistered:
    return SellerRegistered(seller_id=new_id(), shop_id=new_id(), market="GB", currency="GBP",
                            tier="local", business_type="company",
                            registered_at=datetime.now(UTC))


def test_binary_mode_headers_key_and_payload() -> None:
    event = registered()
    envelope = Envelope.wrap(event, source="catalog", trace={"traceparent": "00-" + "a" * 32 +
                                                             "-" + "b" * 16 + "-01"})
    key, value, headers = to_kafka(envelope)
    names = dict(headers)
    assert key == str(event.seller_id).encode()
    assert names["ce_type"] == b"seller.registered"
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_source"] == b"catalog"
    assert names["ce_id"] == envelope.id.encode()
    assert names["content-type"] == b"application/json"
    assert names["traceparent"].startswith(b"00-aaaa")
    assert json.loads(value)["seller_id"] == str(event.seller_id)
    back = from_kafka(key, value, headers)
    assert back.payload() == event
    assert back.trace["traceparent"] == envelope.trace["traceparent"]


def test_record_without_cloudevents_headers_is_malformed() -> None:
    with pytest.raises(MalformedMessage, match="ce_id"):
        from_kafka(b"k", b'{"a": 1}', [("ce_type", b"seller.registered")])


def test_payload_that_is_not_json_is_malformed() -> None:
    _, _, headers = to_kafka(Envelope.wrap(registered(), source="catalog"))
    with pytest.raises(MalformedMessage):
        from_kafka(b"k", b"{not json", headers)


def test_unknown_type_and_schema_violation_are_named() -> None:
    envelope = Envelope(id="1", type="seller.teleported", source="x", key="k", data={})
    with pytest.raises(UnknownEventType):
        envelope.payload()
    bad = Envelope(id="2", type="seller.registered", source="x", key="k",
                   data={"seller_id": "not-a-uuid"})
    with pytest.raises(MalformedMessage, match="seller_id"):
        bad.payload()


def test_the_sequence_travels_as_a_zero_padded_header_and_comes_back_a_number() -> None:
    key, value, headers = to_kafka(Envelope.wrap(registered(), source="catalog", sequence=7))
    assert dict(headers)["ce_sequence"] == b"00000000000000000007"
    assert from_kafka(key, value, headers).sequence == 7
    assert sorted(["00000000000000000010", "00000000000000000009"]) == [
        "00000000000000000009", "00000000000000000010"]


@pytest.mark.parametrize("raw", [b"abc", b"0", b"-3"])
def test_a_malformed_sequence_is_a_malformed_message(raw: bytes) -> None:
    key, value, headers = to_kafka(Envelope.wrap(registered(), source="catalog", sequence=1))
    headers = [(k, raw if k == "ce_sequence" else v) for k, v in headers]
    with pytest.raises(MalformedMessage):
        from_kafka(key, value, headers)
