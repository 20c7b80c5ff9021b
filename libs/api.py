"""Small helpers every service's routes share: the runtime, the seller a caller acts for, and a
problem naming one field."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request

from libs.auth.principal import Principal
from libs.errors import Problem


def runtime(request: Request) -> Any:
    """The service's live connections (`libs.service.Runtime`)."""
    return request.app.state.runtime


def acting_seller(principal: Principal) -> UUID:
    """The seller a seller-role caller acts for (bearer `seller_id` claim or API key)."""
    if principal.seller_id is None:
        raise Problem(403, "Forbidden", "The credentials name no seller; register first, then "
                      "use a token carrying your seller_id.")
    return UUID(principal.seller_id)


def field_problem(field: str, message: str, code: str = "invalid", status: int = 422) -> Problem:
    """A problem naming one input field (422, or 409 when the field conflicts with state)."""
    return Problem(status, "Validation failed" if status == 422 else "Conflict", message,
                   errors=[{"field": field, "message": message, "code": code}])
