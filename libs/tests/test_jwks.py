"""Tokens from an OIDC provider, verified against its JWKS served over HTTP (loopback)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from libs.auth.principal import Role
from libs.auth.tokens import TokenVerifier
from libs.errors import Problem
from libs.settings import ServiceSettings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    public = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


def token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = int(time.time())
    payload = {"sub": "oidc-user", "roles": ["buyer"], "iss": "https://id.example",
               "aud": "socialcommerce", "iat": now, "exp": now + 300, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "k1"})


async def test_a_provider_token_is_verified_against_the_jwks(jwks_url: str) -> None:
    verifier = TokenVerifier(ServiceSettings(service_name="t", jwt_jwks_url=jwks_url,
                                             jwt_issuer="https://id.example"))
    principal = await verifier.verify(token(KEY, birthdate="2001-02-03"))
    assert principal.subject == "oidc-user" and principal.roles == {Role.BUYER}
    with pytest.raises(Problem) as forged:
        await verifier.verify(token(OTHER_KEY))
    assert forged.value.status == 401
    with pytest.raises(Problem):
        await verifier.verify(token(KEY, iss="https://evil.example"))
