"""The SLA report: how fast tickets were answered and solved, per support tier, market and
seller origin, so anyone can check that local and cross-border sellers are treated alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from libs.api import field_problem, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role

router = APIRouter(prefix="/v1/support-reports", tags=["support reports"])


class SlaRow(BaseModel):
    tier: str
    market: str
    origin: str = Field(description="local, cross_border, or buyer")
    tickets: int
    first_replied: int
    first_reply_p50_seconds: float | None
    first_reply_p90_seconds: float | None
    solved: int
    resolution_p50_seconds: float | None
    resolution_p90_seconds: float | None
    breached: int = Field(description="Tickets escalated for a missed target.")
    first_reply_target_minutes: int | None = Field(
        description="The tier's normal-priority first-reply target (business minutes).")


class SlaReport(BaseModel):
    since: datetime
    until: datetime
    rows: list[SlaRow]


_REPORT = """
SELECT t.tier, t.market, coalesce(t.origin, 'buyer') AS origin, count(*) AS tickets,
       count(t.first_replied_at) AS first_replied,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.first_replied_at
                                                           - t.created_at)) AS fr50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.first_replied_at
                                                           - t.created_at)) AS fr90,
       count(t.solved_at) AS solved,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.solved_at
                                                           - t.created_at)) AS rs50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.solved_at
                                                           - t.created_at)) AS rs90,
       count(*) FILTER (WHERE t.escalations > 0) AS breached,
       (SELECT first_reply_minutes FROM sla_policies p
        WHERE p.tier = t.tier AND p.priority = 'normal') AS target
FROM tickets t
WHERE t.created_at >= $1 AND t.created_at < $2
GROUP BY t.tier, t.market, coalesce(t.origin, 'buyer')
ORDER BY t.tier, t.market, origin
"""


@router.get("/sla", response_model=SlaReport,
            openapi_extra={"x-cross-field-rules": ["since is before until, both with an "
                                                   "offset"]},
            summary="Median and p90 first-reply and resolution times (wall-clock seconds) per "
                    "tier, market and local/cross-border (the desk).")
async def sla_report(
    request: Request, principal: Annotated[Principal, Depends(require(Role.AGENT,
                                                                      Role.OPERATOR))],
    since: Annotated[datetime | None, Query(description="Default: 30 days ago.")] = None,
    until: Annotated[datetime | None, Query(description="Default: now.")] = None,
) -> SlaReport:
    until = until or datetime.now(UTC)
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise field_problem("query.since", "give times with a UTC offset")
    if since >= until:
        raise field_problem("query.since", "must be before until")
    rows = await runtime(request).db.fetch(_REPORT, since, until)
    return SlaReport(since=since, until=until, rows=[SlaRow(
        tier=r["tier"], market=r["market"], origin=r["origin"], tickets=r["tickets"],
        first_replied=r["first_replied"], first_reply_p50_seconds=r["fr50"],
        first_reply_p90_seconds=r["fr90"], solved=r["solved"],
        resolution_p50_seconds=r["rs50"], resolution_p90_seconds=r["rs90"],
        breached=r["breached"], first_reply_target_minutes=r["target"]) for r in rows])
