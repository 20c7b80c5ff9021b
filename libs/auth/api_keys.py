"""Seller API keys: shown once, stored only as a SHA-256 digest.

A key is `sk_<prefix>_<secret>`. The prefix is an index for look-up (safe to show in lists);
the secret carries 256 bits of randomness, so a fast digest is enough (no password-style
stretching needed) and comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "sk"


@dataclass(frozen=True)
class IssuedKey:
    plaintext: str
    prefix: str
    digest: str


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue() -> IssuedKey:
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return IssuedKey(plaintext=plaintext, prefix=prefix, digest=digest(plaintext))


def parse_prefix(plaintext: str) -> str | None:
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12:
        return None
    return parts[1]


def matches(plaintext: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(plaintext), stored_digest)
