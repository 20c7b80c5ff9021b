"""The errors domain code raises, in pure Python so domain modules can raise them without I/O.

`libs.errors` answers any that reaches a route: a `FieldError` as a 422 problem naming the input
field at fault, an `InvalidTransition` as a 409 problem (the object's state does not allow it).
"""

from __future__ import annotations


class FieldError(ValueError):
    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code

    def as_error(self) -> dict[str, str]:
        return {"field": self.field, "message": str(self), "code": self.code}


class InvalidTransition(Exception):
    """A state machine was asked for a move its current state does not allow."""
