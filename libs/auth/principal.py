"""Who is calling: the verified identity every route checks ownership against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    CREATOR = "creator"
    AGENT = "agent"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    seller_id: str | None = None
    shop_id: str | None = None
    creator_id: str | None = None
    birthdate: date | None = None
    """OIDC `birthdate`, present only when the identity provider verified it."""
    via_api_key: bool = False
    claims: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return self.has(Role.AGENT, Role.OPERATOR)

    def owns_seller(self, seller_id: object) -> bool:
        return self.seller_id is not None and self.seller_id == str(seller_id)
