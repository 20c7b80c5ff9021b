"""Prints an access token the local stack accepts (signed by the dev issuer's shared secret).

    make token ROLE=seller SUBJECT=user-1 SELLER_ID=... [SHOP_ID=...] [BIRTHDATE=2001-02-03]

The secret is read from JWT_SECRET or from the running stack's `.stack/stack.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import jwt

from libs.auth.principal import Role

DEFAULT_ISSUER = "socialcommerce-dev"
DEFAULT_AUDIENCE = "socialcommerce"


def mint(
    secret: str, *, subject: str, roles: list[str], ttl_seconds: int = 3600,
    issuer: str = DEFAULT_ISSUER, audience: str = DEFAULT_AUDIENCE, **claims: Any,
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": subject, "roles": roles, "iss": issuer, "aud": audience, "iat": now,
        "exp": now + ttl_seconds,
    }
    payload.update({k: v for k, v in claims.items() if v is not None})
    return jwt.encode(payload, secret, algorithm="HS256")


def _stack_secret() -> str | None:
    stack_file = Path(os.environ.get("STACK_FILE", ".stack/stack.json"))
    if stack_file.exists():
        secret = json.loads(stack_file.read_text()).get("jwt_secret")
        return str(secret) if secret else None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", required=True, action="append",
                        choices=[r.value for r in Role])
    parser.add_argument("--subject", required=True)
    parser.add_argument("--seller-id")
    parser.add_argument("--shop-id")
    parser.add_argument("--creator-id")
    parser.add_argument("--birthdate", help="YYYY-MM-DD (a verified OIDC birthdate)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds")
    args = parser.parse_args(argv)
    secret = os.environ.get("JWT_SECRET") or _stack_secret()
    if not secret:
        print("no JWT_SECRET and no .stack/stack.json: start the stack with `make run`",
              file=sys.stderr)
        return 2
    print(mint(secret, subject=args.subject, roles=args.role, ttl_seconds=args.ttl,
               seller_id=args.seller_id, shop_id=args.shop_id, creator_id=args.creator_id,
               birthdate=args.birthdate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
