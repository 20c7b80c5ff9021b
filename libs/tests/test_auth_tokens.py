"""Tokens and API keys (unit, no servers)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from pydantic import SecretStr

from libs.auth import api_keys
from libs.auth.principal import Role
from libs.auth.tokens import TokenVerifier
from libs.errors import Problem
from libs.settings import ServiceSettings

SECRET = "unit-test-secret-of-at-least-32-characters"


def verifier() -> TokenVerifier:
    return TokenVerifier(ServiceSettings(service_name="t", jwt_secret=SecretStr(SECRET)))


async def test_the_dev_token_command_prints_a_token_services_accept() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "libs.auth.dev_token", "--role", "seller", "--subject", "u-7",
         "--seller-id", "s-1", "--birthdate", "2009-05-01"],
        capture_output=True, text=True, check=True, env={"JWT_SECRET": SECRET, "PATH": ""},
    )
    principal = await verifier().verify(out.stdout.strip())
    assert principal.subject == "u-7" and principal.roles == {Role.SELLER}
    assert principal.seller_id == "s-1" and principal.birthdate == date(2009, 5, 1)


async def test_a_token_for_another_audience_is_refused() -> None:
    from libs.auth.dev_token import mint

    token = mint(SECRET, subject="u", roles=["buyer"], audience="someone-else")
    with pytest.raises(Problem) as err:
        await verifier().verify(token)
    assert err.value.status == 401


async def test_an_unknown_role_is_refused() -> None:
    from libs.auth.dev_token import mint

    with pytest.raises(Problem):
        await verifier().verify(mint(SECRET, subject="u", roles=["admin"]))


def test_api_keys_are_stored_as_digests_and_compared_exactly() -> None:
    key = api_keys.issue()
    assert key.plaintext not in key.digest and len(key.digest) == 64
    assert api_keys.parse_prefix(key.plaintext) == key.prefix
    assert api_keys.matches(key.plaintext, key.digest)
    assert not api_keys.matches(key.plaintext[:-1] + "x", key.digest)
    assert api_keys.parse_prefix("sk_short_abc") is None
    assert api_keys.issue().plaintext != key.plaintext


async def test_a_refused_token_does_not_echo_why() -> None:
    from libs.auth.dev_token import mint

    forged = mint("another-secret-of-at-least-32-characters!", subject="u", roles=["operator"])
    with pytest.raises(Problem) as err:
        await verifier().verify(forged)
    assert err.value.detail == "The access token is invalid."


async def test_a_token_living_longer_than_the_maximum_is_refused() -> None:
    from libs.auth.dev_token import mint

    forever = mint(SECRET, subject="u", roles=["operator"], ttl_seconds=365 * 86_400)
    with pytest.raises(Problem) as err:
        await verifier().verify(forever)
    assert err.value.status == 401 and "longer" in str(err.value.detail)
    assert (await verifier().verify(mint(SECRET, subject="u", roles=["buyer"]))).subject == "u"


@pytest.mark.parametrize("secret", ["", "short", "dev-only-change-me", "x" * 31])
def test_outside_dev_mode_a_weak_jwt_secret_stops_the_service(secret: str) -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        ServiceSettings(service_name="t", jwt_secret=SecretStr(secret))
    ServiceSettings(service_name="t", jwt_secret=SecretStr(secret or "x"), dev_mode=True)


def test_outside_dev_mode_some_way_to_verify_tokens_is_required() -> None:
    with pytest.raises(ValueError, match="JWT_SECRET or JWT_JWKS_URL"):
        ServiceSettings(service_name="t")

