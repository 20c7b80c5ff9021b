"""Chat rules: what a message may say and who may speak."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from libs.domain_errors import FieldError, StateConflict


class ChatError(FieldError):
    """A message that cannot be posted."""


class ChatConflict(ChatError, StateConflict):
    """The same, refused for the state things are in (answered 409)."""



def handle_key(secret: str) -> bytes:
    """The key of viewers' public handles, derived from a platform secret (so a handle
    cannot be computed from a guessed account id by anyone outside the platform)."""
    return hashlib.sha256(b"live public handles:" + secret.encode()).digest()


def public_handle(key: bytes, session_id: UUID, user_id: str) -> str:
    """What everyone sees of a person in a session's chat, gifts, purchases and replay:
    stable within the session (a conversation can be followed), different in every other
    session (nobody is tracked across them), never the account id."""
    digest = hmac.new(key, f"{session_id}:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"viewer-{digest[:10]}"


def clean_text(text: str, max_length: int) -> str:
    """Normalised (NFC, no control characters, trimmed) and within the length limit."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFC", text)
                      if unicodedata.category(ch) != "Cc" or ch == " ").strip()
    if not cleaned:
        raise ChatError("text", "is empty", "empty")
    if len(cleaned) > max_length:
        raise ChatError("text", f"is longer than {max_length} characters", "too_long")
    return cleaned


def blocked_word(text: str, blocked: Iterable[str]) -> str | None:
    """The first of the shop's blocked words the message contains (whole words, any case)."""
    folded = text.casefold()
    for word in blocked:
        if re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", folded):
            return word
    return None


@dataclass(frozen=True)
class Standing:
    """A viewer's standing in a session's chat."""

    banned: bool
    muted_until: datetime | None

    def check(self, now: datetime) -> None:
        if self.banned:
            raise ChatConflict("user", "you are banned from this shop's chat", "banned")
        if self.muted_until is not None and self.muted_until > now:
            raise ChatConflict("user", f"you are muted until {self.muted_until.isoformat()}",
                            "muted")
