"""The errors domain code raises, in pure Python so domain modules can raise them without I/O.

`libs.errors` answers any that reaches a route: a `FieldError` as a 422 problem naming the input
field at fault; a `StateConflict` (well-formed input the current state refuses) and an
`InvalidTransition` (the object's state does not allow the move) as 409 problems.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TypeVar

S = TypeVar("S")


class FieldError(ValueError):
    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code

    def as_error(self) -> dict[str, str]:
        return {"field": self.field, "message": str(self), "code": self.code}


class StateConflict(FieldError):
    """The input is well-formed, but the current state of the platform refuses it (a session
    not live, an empty cart, a category that does not exist): answered 409, naming the field.
    A 422 is kept for input that is wrong whatever the state."""


class InvalidTransition(Exception):
    """A state machine was asked for a move its current state does not allow."""


def transition(allowed: Mapping[S, Collection[S]], current: S, to: S, what: str) -> S:
    """`to`, when a state machine `allowed` moves `current` there; else InvalidTransition
    naming the object (`what`: "an inbound plan", "a parcel")."""
    if to not in allowed[current]:
        raise InvalidTransition(f"{what} {current} cannot become {to}")
    return to
