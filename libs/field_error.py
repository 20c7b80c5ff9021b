"""The base of domain errors that name the input field at fault.

Pure Python, so domain modules can raise it; `libs.errors` answers any that reaches a route
with a 422 problem naming the field.
"""

from __future__ import annotations


class FieldError(ValueError):
    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code

    def as_error(self) -> dict[str, str]:
        return {"field": self.field, "message": str(self), "code": self.code}
