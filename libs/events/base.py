"""The base of every event schema: a typed, versioned, past-tense fact about one aggregate."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """Subclasses declare their CloudEvents `type`, schema `version`, Kafka `topic` and which field
    is the aggregate id (the Kafka key, so one aggregate's events stay in order)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ClassVar[str]
    version: ClassVar[int] = 1
    topic: ClassVar[str]
    key_field: ClassVar[str]
    public: ClassVar[bool] = False
    """Public events may be delivered to sellers' webhook endpoints."""

    @property
    def key(self) -> str:
        return str(getattr(self, self.key_field))

    @classmethod
    def dataschema(cls) -> str:
        return f"urn:socialcommerce:event:{cls.type}:v{cls.version}"
