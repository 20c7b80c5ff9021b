"""Chat, session and wallet rules (no servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from libs.ids import new_id
from services.live.domain.chat import ChatError, Standing, blocked_word, clean_text
from services.live.domain.sessions import HostKind, LiveSession, SessionError, SessionStatus
from services.live.domain.wallet import gift_entries, top_up_entries

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def test_messages_are_trimmed_normalised_and_bounded() -> None:
    assert clean_text("  hello\u0007 there  ", 300) == "hello there"
    with pytest.raises(ChatError, match="longer"):
        clean_text("x" * 301, 300)
    with pytest.raises(ChatError, match="empty"):
        clean_text(" \n\t ", 300)


def test_blocked_words_match_whole_words_in_any_case() -> None:
    assert blocked_word("Total SCAM, avoid", ["scam"]) == "scam"
    assert blocked_word("scampi for tea", ["scam"]) is None
    assert blocked_word("nothing to see", []) is None


def test_banned_and_muted_viewers_cannot_speak_until_the_mute_ends() -> None:
    with pytest.raises(ChatError, match="banned"):
        Standing(banned=True, muted_until=None).check(NOW)
    with pytest.raises(ChatError, match="muted"):
        Standing(banned=False, muted_until=NOW + timedelta(minutes=1)).check(NOW)
    Standing(banned=False, muted_until=NOW - timedelta(seconds=1)).check(NOW)


def session(**changes: object) -> LiveSession:
    values: dict[str, object] = {
        "id": new_id(), "seller_id": new_id(), "host_kind": HostKind.CREATOR,
        "host_id": "cr_81", "title": "Denim drop", "scheduled_for": NOW,
        "status": SessionStatus.SCHEDULED, **changes}
    return LiveSession(**values)  # type: ignore[arg-type]


def test_only_the_shops_seller_and_the_hosting_creator_control_a_session() -> None:
    show = session()
    assert show.controlled_by(seller_id=str(show.seller_id), creator_id=None)
    assert show.controlled_by(seller_id=None, creator_id="cr_81")
    assert not show.controlled_by(seller_id=str(new_id()), creator_id="cr_99")
    seller_hosted = session(host_kind=HostKind.SELLER)
    assert not seller_hosted.controlled_by(seller_id=None, creator_id=seller_hosted.host_id)


def test_a_session_goes_scheduled_live_ended_and_never_back() -> None:
    live = session().start(NOW)
    assert live.status is SessionStatus.LIVE and live.started_at == NOW
    ended = live.end(NOW + timedelta(hours=1))
    with pytest.raises(SessionError):
        ended.start(NOW)
    with pytest.raises(SessionError):
        live.cancel(NOW)
    assert session().cancel(NOW).status is SessionStatus.CANCELLED


def test_ledger_entries_balance_and_the_host_gets_its_share_rounded_down() -> None:
    entries = gift_entries("buyer-1", "cr_81", 15, host_share_percent=70)
    assert sum(e.tokens for e in entries) == 0
    assert [e.tokens for e in entries] == [-15, 10, 5]
    assert sum(e.tokens for e in top_up_entries("buyer-1", 500)) == 0
