"""How a delivery is signed: HMAC-SHA256 (`v1,`) with the reference implementation, or
Ed25519 (`v1a,`, the Standard Webhooks asymmetric scheme) over the same `id.timestamp.body`,
verifiable with the endpoint's published public key. During a rotation's overlap both the new
and the old key sign."""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from standardwebhooks.webhooks import Webhook

ED25519_PREFIX = "whsk_"
"""How a sealed Ed25519 private key is written (as `whsec_` is for HMAC secrets)."""


def new_ed25519() -> tuple[str, str]:
    """(private key as `whsk_…`, public key as `whpk_…`), both base64 of the raw 32 bytes."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    return (ED25519_PREFIX + base64.b64encode(private).decode(),
            "whpk_" + base64.b64encode(public).decode())


def sign(secret: str, msg_id: str, at: datetime, body: str) -> str:
    """One signature, `v1,…` for a `whsec_` secret or `v1a,…` for a `whsk_` key."""
    if secret.startswith(ED25519_PREFIX):
        key = Ed25519PrivateKey.from_private_bytes(
            base64.b64decode(secret.removeprefix(ED25519_PREFIX)))
        signed = key.sign(f"{msg_id}.{int(at.timestamp())}.{body}".encode())
        return "v1a," + base64.b64encode(signed).decode()
    return Webhook(secret).sign(msg_id, at, body)


def verify_ed25519(public_key: str, headers: dict[str, str], body: str) -> bool:
    """What a receiver does with a `v1a,` signature (used by tests and the listener)."""
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key.removeprefix("whpk_")))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, signature = candidate.partition(",")
        if version != "v1a":
            continue
        try:
            key.verify(base64.b64decode(signature), content)
            return True
        except Exception:  # noqa: S112 - an InvalidSignature: try the next one
            continue
    return False
