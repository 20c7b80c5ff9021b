"""Outside dev mode the claim-token secret (shared by live and orders) must be set."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from services.live.settings import LiveSettings

JWT = SecretStr("a-jwt-secret-of-at-least-thirty-two-characters")


def test_the_claim_secret_must_not_be_its_development_default() -> None:
    with pytest.raises(ValueError, match="CLAIM_TOKEN_SECRET is still its development"):
        LiveSettings(jwt_secret=JWT)
    LiveSettings(jwt_secret=JWT, claim_token_secret=SecretStr("c" * 40))
    LiveSettings(jwt_secret=JWT, dev_mode=True)
