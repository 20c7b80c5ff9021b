"""Outside dev mode the claim-token secret (shared by live and orders) must be set."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from services.orders.settings import OrdersSettings

JWT = SecretStr("a-jwt-secret-of-at-least-thirty-two-characters")


def test_the_claim_secret_must_not_be_its_development_default() -> None:
    with pytest.raises(ValueError, match="CLAIM_TOKEN_SECRET is still its development"):
        OrdersSettings(jwt_secret=JWT)
    OrdersSettings(jwt_secret=JWT, claim_token_secret=SecretStr("c" * 40))
    OrdersSettings(jwt_secret=JWT, dev_mode=True)
