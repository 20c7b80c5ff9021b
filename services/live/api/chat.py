"""A session's chat and its moderation: messages, mutes, bans, the pinned message, and the
shop's moderators and blocked words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs import idempotency
from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.pagination import Page, PageParams, encode_cursor, page_params, time_cursor
from libs.request_guard import NOT_BLANK
from services.live import components
from services.live.adapters import chat_repository, sessions_repository
from services.live.domain.chat import public_handle
from services.live.domain.sessions import LiveSession
from services.live.use_cases.access import find_session
from services.live.use_cases.chat import post_message

UserId = Annotated[str, Path(min_length=1, max_length=128, description="A user's subject id.")]
router = APIRouter(prefix="/v1/live", tags=["chat"])
anyone_signed_in = require()
sellers = require(Role.SELLER)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=300, pattern=NOT_BLANK,
                      description="At most 300 characters once normalised (NFC, control "
                                  "characters removed); the shop's blocked words are refused.")


class MessageView(BaseModel):
    id: UUID
    author: str = Field(description="The writer's handle in this session: the same for all "
                                    "their messages here, another in every other session; "
                                    "never their account id.")
    text: str
    created_at: datetime


class Offender(BaseModel):
    """Whom a moderator acts on: the author of a message (what moderators see), or an
    account id they know from elsewhere (a support ticket)."""

    model_config = ConfigDict(extra="forbid")
    message_id: UUID | None = Field(default=None, description="Act on this message's author.")
    user_id: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one(self) -> Offender:
        if (self.message_id is None) == (self.user_id is None):
            raise ValueError("name exactly one of message_id and user_id")
        return self


class MuteIn(Offender):
    minutes: int = Field(default=10, ge=1, le=7 * 24 * 60)


class BanIn(Offender):
    reason: str = Field(min_length=1, max_length=300)


class PinnedMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=300)


class WordsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: list[str] = Field(max_length=500)


async def _moderated_session(request: Request, session_id: UUID,
                             principal: Principal) -> LiveSession:
    """The host, the shop's seller, and the shop's moderators moderate its sessions."""
    pool = runtime(request).db
    session = await find_session(pool, session_id)
    if session.controlled_by(seller_id=principal.seller_id, creator_id=principal.creator_id):
        return session
    if await chat_repository.is_moderator(pool, session.seller_id, principal.subject):
        return session
    raise Problem(403, "Forbidden", "Only the host, the shop's seller or its moderators can "
                                    "moderate this chat.")


@router.post("/sessions/{session_id}/chat", status_code=201, response_model=MessageView,
             openapi_extra={"x-cross-field-rules": [
                 "text is checked once normalised (NFC, control characters removed): it must "
                 "then hold something and be at most 300 characters"]},
             summary="Post to the chat (signed in; rate limited; the shop's filter applies).",
             responses={429: {"description": "Too fast: see Retry-After."}})
async def post(request: Request, session_id: UUID, body: MessageIn,
               principal: Annotated[Principal, Depends(anyone_signed_in)],
               idempotency_key: IdempotencyKey = None) -> Any:
    async def work(conn: Any) -> tuple[int, Any]:
        posted = await post_message(components.of(request), conn, session_id, principal,
                                    body.text)
        return 201, MessageView(
            id=posted.id, author=public_handle(runtime(request).settings.handle_key, session_id,
                                               posted.user_id),
            text=posted.text, created_at=posted.created_at).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{principal.subject}:POST chat", key=idempotency_key,
        body={"session_id": str(session_id), "text": body.text}, work=work)


@router.get("/sessions/{session_id}/chat", response_model=Page[MessageView],
            summary="Chat history, oldest first (the replay); public.")
async def history(request: Request, session_id: UUID,
                  page: Annotated[PageParams, Depends(page_params)]) -> Any:
    rows = await chat_repository.messages(runtime(request).db, session_id,
                                          after=time_cursor(page.cursor), limit=page.limit + 1)
    key = runtime(request).settings.handle_key
    items = [MessageView(id=r["id"], author=public_handle(key, session_id, r["user_id"]),
                         text=r["text"], created_at=r["created_at"]) for r in rows[:page.limit]]
    cursor = (encode_cursor(items[-1].created_at.isoformat(), str(items[-1].id))
              if len(rows) > page.limit else None)
    return Page[MessageView](items=items, next_cursor=cursor)


@router.delete("/sessions/{session_id}/chat/{message_id}", status_code=204,
               summary="Remove a message (moderators).")
async def remove(request: Request, session_id: UUID, message_id: UUID,
                 principal: Annotated[Principal, Depends(anyone_signed_in)]) -> Response:
    await _moderated_session(request, session_id, principal)
    if not await chat_repository.remove_message(runtime(request).db, session_id, message_id):
        raise Problem(404, "Not found", "No such message.")
    await components.of(request).feed.publish(session_id, "chat.removed",
                                              {"message_id": str(message_id)})
    return Response(status_code=204)


@router.put("/sessions/{session_id}/pinned-message", status_code=204,
            summary="Pin a message above the chat (moderators).")
async def pin_message(request: Request, session_id: UUID, body: PinnedMessageIn,
                      principal: Annotated[Principal, Depends(anyone_signed_in)]) -> Response:
    await _moderated_session(request, session_id, principal)
    message = {"text": body.text, "at": datetime.now(UTC).isoformat(),
               "by": public_handle(runtime(request).settings.handle_key, session_id,
                                   principal.subject)}
    await sessions_repository.set_pinned_message(runtime(request).db, session_id, message)
    await components.of(request).feed.publish(session_id, "chat.pinned", message)
    return Response(status_code=204)


@router.delete("/sessions/{session_id}/pinned-message", status_code=204,
               summary="Unpin the chat message (moderators).")
async def unpin_message(request: Request, session_id: UUID,
                        principal: Annotated[Principal, Depends(anyone_signed_in)]) -> Response:
    await _moderated_session(request, session_id, principal)
    await sessions_repository.set_pinned_message(runtime(request).db, session_id, None)
    await components.of(request).feed.publish(session_id, "chat.unpinned", {})
    return Response(status_code=204)


@router.post("/sessions/{session_id}/mutes", status_code=204,
             summary="Mute a viewer in this session (moderators).")
async def mute(request: Request, session_id: UUID, body: MuteIn,
               principal: Annotated[Principal, Depends(anyone_signed_in)]) -> Response:
    await _moderated_session(request, session_id, principal)
    until = datetime.now(UTC) + timedelta(minutes=body.minutes)
    offender = await _offender(request, session_id, body)
    await chat_repository.mute(runtime(request).db, session_id, offender, until,
                               principal.subject)
    return Response(status_code=204)


@router.delete("/sessions/{session_id}/mutes/{user_id}", status_code=204,
               summary="Unmute (moderators).")
async def unmute(request: Request, session_id: UUID, user_id: UserId,
                 principal: Annotated[Principal, Depends(anyone_signed_in)]) -> Response:
    await _moderated_session(request, session_id, principal)
    if not await chat_repository.unmute(runtime(request).db, session_id, user_id):
        raise Problem(404, "Not found", "That viewer is not muted.")
    return Response(status_code=204)


@router.post("/sessions/{session_id}/bans", status_code=204,
             summary="Ban a viewer from the shop's chats (moderators).")
async def ban(request: Request, session_id: UUID, body: BanIn,
              principal: Annotated[Principal, Depends(anyone_signed_in)]) -> Response:
    session = await _moderated_session(request, session_id, principal)
    offender = await _offender(request, session_id, body)
    await chat_repository.ban(runtime(request).db, session.seller_id, offender,
                              body.reason, principal.subject)
    return Response(status_code=204)


async def _offender(request: Request, session_id: UUID, body: Offender) -> str:
    if body.user_id is not None:
        return body.user_id
    assert body.message_id is not None
    author = await chat_repository.author_of(runtime(request).db, session_id, body.message_id)
    if author is None:
        raise Problem(404, "Not found", "No such message in this session.",
                      errors=[{"field": "message_id", "message": "not in this session",
                               "code": "not_found"}])
    return author


@router.delete("/shop/bans/{user_id}", status_code=204, summary="Lift a ban (the seller).")
async def unban(request: Request, user_id: UserId,
                principal: Annotated[Principal, Depends(sellers)]) -> Response:
    if not await chat_repository.unban(runtime(request).db, acting_seller(principal), user_id):
        raise Problem(404, "Not found", "That viewer is not banned.")
    return Response(status_code=204)


@router.put("/shop/moderators/{user_id}", status_code=204,
            summary="Make a user a moderator of the shop's chats.")
async def add_moderator(request: Request, user_id: UserId,
                        principal: Annotated[Principal, Depends(sellers)]) -> Response:
    await chat_repository.add_moderator(runtime(request).db, acting_seller(principal), user_id)
    return Response(status_code=204)


@router.delete("/shop/moderators/{user_id}", status_code=204, summary="Remove a moderator.")
async def remove_moderator(request: Request, user_id: UserId,
                           principal: Annotated[Principal, Depends(sellers)]) -> Response:
    if not await chat_repository.remove_moderator(runtime(request).db,
                                                  acting_seller(principal), user_id):
        raise Problem(404, "Not found", "Not a moderator.")
    return Response(status_code=204)


@router.get("/shop/moderators", response_model=list[str], summary="The shop's moderators.")
async def list_moderators(request: Request,
                          principal: Annotated[Principal, Depends(sellers)]) -> Any:
    return await chat_repository.moderators(runtime(request).db, acting_seller(principal))


@router.put("/shop/blocked-words", response_model=list[str],
            summary="Replace the shop's blocked words (whole words, any case).")
async def set_blocked_words(request: Request, body: WordsIn,
                            principal: Annotated[Principal, Depends(sellers)]) -> Any:
    words = sorted({w.strip().casefold() for w in body.words if w.strip()})
    if any(len(w) > 60 for w in words):
        raise Problem(422, "Validation failed", "A blocked word is at most 60 characters.",
                      errors=[{"field": "words", "message": "too long", "code": "too_long"}])
    pool = runtime(request).db
    seller_id = acting_seller(principal)
    async with pool.acquire() as conn, conn.transaction():
        await chat_repository.set_blocked_words(conn, seller_id, words)
    return words


@router.get("/shop/blocked-words", response_model=list[str], summary="The shop's blocked words.")
async def get_blocked_words(request: Request,
                            principal: Annotated[Principal, Depends(sellers)]) -> Any:
    return await chat_repository.blocked_words(runtime(request).db, acting_seller(principal))
