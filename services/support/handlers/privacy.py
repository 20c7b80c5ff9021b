"""Support's part in privacy requests: it hears every service's answer (its own included) and
completes the request when all are in; and it answers for its own data like every service."""

from __future__ import annotations

import asyncpg

from libs.consumer import Handler
from libs.events.envelope import Envelope
from libs.events.schemas.privacy import ErasureCompleted, ExportAnswered
from libs.privacy_answers import handlers as privacy_handlers
from services.support.adapters.privacy_map import PRIVACY_MAP
from services.support.settings import SupportSettings
from services.support.use_cases import privacy


def handlers(settings: SupportSettings) -> dict[str, Handler]:
    async def on_answer(conn: asyncpg.Connection, envelope: Envelope,
                        event: ExportAnswered | ErasureCompleted) -> None:
        await privacy.record_answer(conn, settings, event)

    return {ExportAnswered.type: on_answer, ErasureCompleted.type: on_answer,
            **privacy_handlers(PRIVACY_MAP)}
