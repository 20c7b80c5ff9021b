"""Orders' deadlines: the saga's steps and the order's promises, fired by the platform's engine."""

from __future__ import annotations

from libs.deadlines import DeadlineKind
from libs.service import Runtime
from services.orders.adapters.payment_simulator import PaymentSimulator
from services.orders.use_cases import authorisation, top_ups
from services.orders.use_cases.saga import deadline_kinds


def kinds(runtime: Runtime) -> list[DeadlineKind]:
    provider = PaymentSimulator(runtime.worker_db)
    settings = runtime.settings
    return [*deadline_kinds(provider, settings),  # type: ignore[arg-type]
            authorisation.deadline_kind(provider, settings),  # type: ignore[arg-type]
            *top_ups.deadline_kinds(provider, settings)]  # type: ignore[arg-type]
