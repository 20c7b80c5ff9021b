"""Webhooks' rules without servers: where deliveries may go, which events an endpoint wants,
when a failed delivery is tried again, and how a delivery is signed."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from libs.domain_errors import FieldError
from services.webhooks.adapters.secrets_box import SecretBox, new_signing_secret
from services.webhooks.domain import addresses, retries
from services.webhooks.domain.subscriptions import check_patterns, wants
from services.webhooks.settings import DEV_SECRET_KEY
from services.webhooks.use_cases.delivery import signature_headers


@pytest.mark.parametrize("address", [
    "10.0.0.5", "172.16.3.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fd00::1", "fd00:ec2::254", "::ffff:127.0.0.1",
    "::ffff:10.1.2.3", "240.0.0.1"])
def test_private_loopback_metadata_and_special_addresses_are_refused(address: str) -> None:
    with pytest.raises(addresses.ForbiddenAddress) as refused:
        addresses.check_addresses(["93.184.216.34", address], dev_mode=False)
    assert refused.value.field == "url"


def test_public_addresses_pass_and_dev_mode_allows_only_loopback() -> None:
    assert addresses.check_addresses(["93.184.216.34"], dev_mode=False) == "93.184.216.34"
    assert addresses.check_addresses(["2606:2800:220:1::1"], dev_mode=False)
    assert addresses.check_addresses(["127.0.0.1"], dev_mode=True) == "127.0.0.1"
    with pytest.raises(addresses.ForbiddenAddress):
        addresses.check_addresses(["10.0.0.1"], dev_mode=True)
    with pytest.raises(addresses.ForbiddenAddress):
        addresses.check_addresses([], dev_mode=False)


def test_urls_must_be_https_with_a_host_and_no_credentials() -> None:
    assert addresses.check_url("https://hooks.example.com/x", dev_mode=False) == (
        "https", "hooks.example.com", 443)
    for url, code in [("http://hooks.example.com/x", "https_required"),
                      ("https:///nohost", "invalid_url"),
                      ("https://user:pw@hooks.example.com/", "invalid_url"),
                      ("ftp://hooks.example.com/", "https_required"),
                      ("https://hooks.example.com:99999/", "invalid_url"),
                      ("https://hooks[.example.com/x", "invalid_url"),  # schemathesis: a 500
                      ("https://hooks.example.com/\x12x", "invalid_url")]:
        with pytest.raises(addresses.ForbiddenAddress) as refused:
            addresses.check_url(url, dev_mode=False)
        assert refused.value.code == code, url
    assert addresses.check_url("http://127.0.0.1:9000/h", dev_mode=True)[2] == 9000


def test_event_type_patterns_must_match_public_types() -> None:
    public = ["order.placed", "order.confirmed", "shipment.shipped"]
    assert check_patterns(["order.*", "order.*", "shipment.shipped"], public) == [
        "order.*", "shipment.shipped"]
    assert wants(["order.*"], "order.placed") and not wants(["order.*"], "shipment.shipped")
    assert wants(["*"], "shipment.shipped")
    with pytest.raises(FieldError) as refused:
        check_patterns(["order.*", "payment.*"], public)
    assert refused.value.field == "event_types.1"


def test_retries_follow_a_three_day_schedule_with_jitter_and_retry_after() -> None:
    rng = random.Random(1)
    delays = [retries.next_delay(n, rng=rng) for n in range(1, len(retries.SCHEDULE_SECONDS) + 1)]
    assert all(d is not None for d in delays)
    total = sum(d for d in delays if d is not None)
    assert 2 * 86400 < total < 3.5 * 86400
    assert retries.next_delay(len(retries.SCHEDULE_SECONDS) + 1) is None
    first = retries.next_delay(1, rng=random.Random(2))
    assert first is not None and 4 <= first <= 6
    waited = retries.next_delay(1, retry_after=120, rng=random.Random(3))
    assert waited is not None and waited >= 120
    assert retries.retry_after_seconds("30") == 30 and retries.retry_after_seconds("soon") is None


def test_deliveries_carry_both_signatures_during_a_rotation() -> None:
    old, new = new_signing_secret(), new_signing_secret()
    body = json.dumps({"type": "order.placed", "data": {}})
    headers = signature_headers([new, old], "msg_1", datetime.now(UTC), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"type": "order.placed", "data": {}}
    with pytest.raises(Exception):  # noqa: B017 - the library's own error type
        Webhook(new_signing_secret()).verify(body, headers)


def test_secrets_are_sealed_at_rest() -> None:
    box = SecretBox(DEV_SECRET_KEY)
    secret = new_signing_secret()
    sealed = box.seal(secret)
    assert secret.encode() not in sealed and box.open(sealed) == secret


def test_the_local_listener_verifies_prints_and_flags_gaps() -> None:
    import io

    from fastapi.testclient import TestClient

    from services.webhooks.listen import receiver

    secret, out = new_signing_secret(), io.StringIO()
    client = TestClient(receiver(secret, out))
    for sequence in (1, 3):
        body = json.dumps({"type": "order.placed", "aggregate_id": "o-1", "sequence": sequence,
                           "data": {"order_id": "o-1"}})
        headers = signature_headers([secret], f"msg_{sequence}", datetime.now(UTC), body)
        assert client.post("/", content=body, headers=headers).status_code == 204
    forged = signature_headers([new_signing_secret()], "msg_9", datetime.now(UTC), "{}")
    assert client.post("/", content="{}", headers=forged).status_code == 401
    printed = out.getvalue()
    assert "order.placed  o-1 #1" in printed and "gap: 2..2" in printed and "REFUSED" in printed


def test_ed25519_endpoints_sign_v1a_verifiable_with_the_public_key() -> None:
    from services.webhooks.adapters.signing import new_ed25519, verify_ed25519

    private, public = new_ed25519()
    other_private, other_public = new_ed25519()
    body = json.dumps({"type": "order.placed"})
    headers = signature_headers([private, other_private], "msg_7", datetime.now(UTC), body)
    assert all(s.startswith("v1a,") for s in headers["webhook-signature"].split(" "))
    assert verify_ed25519(public, headers, body) and verify_ed25519(other_public, headers, body)
    assert not verify_ed25519(public, headers, body + " ")
    assert not verify_ed25519(new_ed25519()[1], headers, body)
