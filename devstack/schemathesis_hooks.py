"""Schemathesis hooks for `devstack.api_contracts` (loaded through SCHEMATHESIS_HOOKS).

Only what a real client could not send either is kept out of generated requests: a page
`cursor` is minted by the server (an opaque token from `next_cursor`), so a made-up one is no
valid request and its 422 says nothing about the contract; and an `Idempotency-Key` names one
logical request, so each generated request gets a key of its own (the same key with another
body is refused with a 422, as the IETF draft says it must be).
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    if case.query and "cursor" in case.query:
        case.query = {k: v for k, v in case.query.items() if k != "cursor"}
    for name in list(case.headers or {}):
        if name.lower() == "idempotency-key":
            case.headers[name] = uuid.uuid4().hex
