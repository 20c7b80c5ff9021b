"""The support desk's own routes: queues and their agents, assignment and transfer, SLA policies
and business calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import field_problem, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.db.transaction import transaction
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.ids import new_id
from libs.markets import MARKET_PATTERN
from libs.request_guard import NOT_BLANK
from services.support.adapters import desk_repository as desk
from services.support.api.schemas import TicketView
from services.support.domain.calendars import BusinessCalendar, format_clock, parse_clock
from services.support.domain.routing import Queue
from services.support.domain.sla import Policy, Priority
from services.support.domain.tickets import Category
from services.support.use_cases.access import require_desk, ticket_for
from services.support.use_cases.desk import Reason, assign

router = APIRouter(tags=["support desk"])
Staff = Annotated[Principal, Depends(require(Role.AGENT, Role.OPERATOR))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
MARKET = MARKET_PATTERN


class QueueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK)
    category: Category | None = Field(default=None, description="None: every category.")
    market: str | None = Field(default=None, pattern=MARKET, description="None: every market.")
    lead: bool = Field(default=False, description="Escalations go to lead queues.")
    strategy: Literal["round_robin", "skills"] = "round_robin"


class QueueView(BaseModel):
    id: UUID
    name: str
    category: str | None
    market: str | None
    lead: bool
    strategy: str
    created_at: datetime
    agents: list[dict[str, object]] = Field(default_factory=list)


class MemberRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skills: list[str] = Field(default_factory=list, max_length=30,
                              description="Categories, languages and markets the agent knows.")


class AssignmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue_id: UUID | None = Field(default=None, description="Transfer to this queue.")
    agent: str | None = Field(default=None, max_length=200,
                              description="This agent (a member of the queue); else the "
                                          "queue's strategy picks one.")


@router.post("/v1/support-queues", status_code=201, response_model=QueueView,
             summary="Create a queue (operators).")
async def create_queue(request: Request, body: QueueRequest, principal: Operator,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    queue = Queue(id=new_id(), name=body.name.strip(),
                  category=body.category.value if body.category else None, market=body.market,
                  lead=body.lead, strategy=body.strategy, created_at=datetime.now(UTC))

    async def work(conn: Any) -> tuple[int, Any]:
        if not await desk.add_queue(conn, queue):
            raise field_problem("name", "a queue with this name exists", "duplicate", status=409)
        return 201, QueueView(**queue.__dict__).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"support:queue:{principal.subject}", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("/v1/support-queues", response_model=list[QueueView],
            summary="Queues and their agents (the desk).")
async def list_queues(request: Request, principal: Staff) -> list[QueueView]:
    db = runtime(request).db
    views = []
    for queue in await desk.queues(db):
        members = await desk.members(db, queue.id)
        views.append(QueueView(**queue.__dict__, agents=[
            {"agent": m.agent, "skills": sorted(m.skills),
             "last_assigned_at": m.last_assigned_at} for m in members]))
    return views


@router.put("/v1/support-queues/{queue_id}/agents/{agent}", status_code=204,
            summary="Add an agent to a queue, or change its skills (operators).")
async def put_member(request: Request, queue_id: UUID, agent: str, body: MemberRequest,
                     principal: Operator) -> None:
    db = runtime(request).db
    if await desk.queue(db, queue_id) is None:
        raise Problem(404, "Not found", "No such queue.")
    await desk.set_member(db, queue_id, agent, sorted({s.strip() for s in body.skills if s}))


@router.delete("/v1/support-queues/{queue_id}/agents/{agent}", status_code=204,
               summary="Take an agent off a queue (operators).")
async def delete_member(request: Request, queue_id: UUID, agent: str,
                        principal: Operator) -> None:
    if not await desk.remove_member(runtime(request).db, queue_id, agent):
        raise Problem(404, "Not found", "The agent is not in this queue.")


@router.post("/v1/tickets/{ticket_id}/assignment", response_model=TicketView,
             summary="Take, assign or transfer a ticket (the desk).")
async def assign_ticket(request: Request, ticket_id: UUID, body: AssignmentRequest,
                        principal: Staff) -> TicketView:
    async with transaction(runtime(request).db) as conn:
        ticket, on_desk = await ticket_for(conn, principal, ticket_id, for_update=True)
        require_desk(on_desk, "ticket_id", "assign tickets")
        queue_id = body.queue_id or ticket["queue_id"]
        if body.queue_id is not None and await desk.queue(conn, body.queue_id) is None:
            raise field_problem("queue_id", "no such queue")
        if body.agent is not None and not await desk.is_member(conn, queue_id, body.agent):
            raise field_problem("agent", "the agent does not work in that queue", "not_member",
                                status=409)
        reason: Reason = "taken" if body.agent == principal.subject else "transfer"
        await assign(conn, ticket, datetime.now(UTC), reason=reason, queue_id=queue_id,
                     agent=body.agent)
        return TicketView.of(ticket)


class PolicyView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tier: str = Field(min_length=1, max_length=30, pattern=r"^[a-z_]+$")
    priority: Priority
    first_reply_minutes: int = Field(ge=1, le=43_200)
    next_reply_minutes: int = Field(ge=1, le=43_200)
    resolution_minutes: int = Field(ge=1, le=129_600)


@router.get("/v1/sla-policies", response_model=list[PolicyView],
            summary="SLA targets in business minutes, per support tier and priority. A seller's "
                    "origin (local or cross-border) is not a dimension: both get the same.")
async def list_policies(request: Request, principal: Annotated[Principal, Depends(require())]
                        ) -> list[PolicyView]:
    return [PolicyView(**row) for row in await desk.policies(runtime(request).db)]


@router.put("/v1/sla-policies", response_model=PolicyView, summary="Set a target (operators).")
async def put_policy(request: Request, body: PolicyView, principal: Operator) -> PolicyView:
    await desk.set_policy(runtime(request).db, Policy(**body.model_dump()))
    return body


class HolidayView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    name: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK)


class CalendarView(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "timezone": "Europe/London", "working_days": [1, 2, 3, 4, 5, 6], "opens": "08:00",
        "closes": "20:00", "holidays": [{"day": "2026-12-25", "name": "Christmas Day"}]}]})
    timezone: str = Field(min_length=1, max_length=64)
    working_days: list[Annotated[int, Field(ge=1, le=7)]] = Field(min_length=1, max_length=7,
                                    description="ISO weekdays, Monday = 1.")
    opens: str = Field(pattern=r"^\d{2}:\d{2}$")
    closes: str = Field(pattern=r"^\d{2}:\d{2}$", description="24:00 for midnight.")
    holidays: list[HolidayView] = Field(default_factory=list, max_length=400)


@router.get("/v1/business-calendars/{market}", response_model=CalendarView,
            summary="When a market's desk works: SLA clocks run only then.")
async def get_calendar(request: Request, market: str,
                       principal: Annotated[Principal, Depends(require())]) -> CalendarView:
    db = runtime(request).db
    try:
        calendar = await desk.calendar(db, market)
    except LookupError:
        raise Problem(404, "Not found", "No calendar for this market.") from None
    return CalendarView(timezone=calendar.timezone, working_days=sorted(calendar.working_days),
                        opens=format_clock(calendar.opens_minute),
                        closes=format_clock(calendar.closes_minute),
                        holidays=[HolidayView(**h) for h in await desk.holidays(db, market)])


@router.put("/v1/business-calendars/{market}", response_model=CalendarView,
            openapi_extra={"x-cross-field-rules": [
                "timezone is an IANA time zone", "closes is after opens, the same day",
                "each holiday's day appears once"]},
            summary="Set a market's business hours and holidays (operators). Running clocks "
                    "keep their due times; new ones use the new hours.")
async def put_calendar(request: Request, market: Annotated[str, Path(pattern=MARKET)],
                       body: CalendarView, principal: Operator) -> CalendarView:
    days = [h.day for h in body.holidays]
    for index, day in enumerate(days):
        if day in days[:index]:
            raise field_problem(f"holidays.{index}.day", "listed twice", "duplicate")
    calendar = BusinessCalendar(
        market=market, timezone=body.timezone, working_days=frozenset(body.working_days),
        opens_minute=parse_clock(body.opens, "opens"),
        closes_minute=parse_clock(body.closes, "closes"),
        holidays=frozenset(h.day for h in body.holidays))
    async with transaction(runtime(request).db) as conn:
        await desk.set_calendar(conn, calendar, [(h.day, h.name) for h in body.holidays])
    return body
