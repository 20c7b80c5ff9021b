"""Live sessions: who hosts and controls them, and how they move from scheduled to over."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from libs.domain_errors import FieldError, StateConflict

MAX_SCHEDULE_AHEAD = timedelta(days=90)


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class HostKind(StrEnum):
    SELLER = "seller"
    CREATOR = "creator"


class SessionError(FieldError):
    """A session change that is not allowed in the session's state."""


class SessionConflict(SessionError, StateConflict):
    """The same, refused for the state things are in (answered 409)."""



@dataclass(frozen=True)
class LiveSession:
    id: UUID
    seller_id: UUID
    host_kind: HostKind
    host_id: str
    """The seller's id, or the creator's id when a creator hosts."""
    title: str
    scheduled_for: datetime
    status: SessionStatus
    started_at: datetime | None = None
    ended_at: datetime | None = None

    def controlled_by(self, *, seller_id: str | None, creator_id: str | None) -> bool:
        """The shop's seller, and the creator hosting it, run the show; nobody else."""
        if seller_id is not None and seller_id == str(self.seller_id):
            return True
        return (self.host_kind is HostKind.CREATOR and creator_id is not None
                and creator_id == self.host_id)

    def start(self, now: datetime) -> LiveSession:
        if self.status is not SessionStatus.SCHEDULED:
            raise SessionConflict("status", f"a {self.status} session cannot start", "not_scheduled")
        return replace(self, status=SessionStatus.LIVE, started_at=now)

    def end(self, now: datetime) -> LiveSession:
        if self.status is not SessionStatus.LIVE:
            raise SessionConflict("status", f"a {self.status} session cannot end", "not_live")
        return replace(self, status=SessionStatus.ENDED, ended_at=now)

    def cancel(self, now: datetime) -> LiveSession:
        if self.status is not SessionStatus.SCHEDULED:
            raise SessionConflict("status", "only a scheduled session can be cancelled",
                               "not_scheduled")
        return replace(self, status=SessionStatus.CANCELLED, ended_at=now)

    def require_live(self, action: str) -> None:
        if self.status is not SessionStatus.LIVE:
            raise SessionConflict("session", f"{action} needs the session to be live", "not_live")

    def require_open(self, action: str) -> None:
        """Scheduled or live: the show can still be prepared."""
        if self.status not in (SessionStatus.SCHEDULED, SessionStatus.LIVE):
            raise SessionConflict("session", f"{action} is not possible on a {self.status} "
                                          "session", "session_over")


def check_schedule(scheduled_for: datetime, now: datetime) -> None:
    if scheduled_for < now - timedelta(minutes=5):
        raise SessionError("scheduled_for", "is in the past", "in_past")
    if scheduled_for > now + MAX_SCHEDULE_AHEAD:
        raise SessionError("scheduled_for", "is more than 90 days ahead", "too_far_ahead")


def credited_creator(session: LiveSession, *, accepted_by: str | None,
                     buyer_id: str) -> str | None:
    """Whom a tap in the session credits: the hosting creator, only when they accepted the
    shop's partnership (`accepted_by` is the account that accepted it), and never the buyer
    themself (a creator buying through their own session earns nothing on it)."""
    if session.host_kind is not HostKind.CREATOR or accepted_by is None:
        return None
    if buyer_id in (accepted_by, session.host_id):
        return None
    return session.host_id
