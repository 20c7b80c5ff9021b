"""A local receiver for sellers' developers: `python -m services.webhooks.listen --secret whsec_…
--port 9000`. Receives deliveries, verifies each signature with the `standardwebhooks` library,
and pretty-prints the event (type, aggregate, sequence, data), flagging gaps in an aggregate's
sequence. Subscribe `http://127.0.0.1:9000/` against a dev stack (dev mode allows loopback).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook

from services.webhooks.adapters.signing import verify_ed25519


def receiver(secret: str, out: Any = sys.stdout) -> FastAPI:
    app = FastAPI(title="socialcommerce webhook listener")
    last: dict[str, int] = {}

    @app.post("/{path:path}")
    async def receive(request: Request, path: str) -> Response:
        body = await request.body()
        try:
            if secret.startswith("whpk_"):  # an Ed25519 endpoint's public key
                if not verify_ed25519(secret, dict(request.headers), body.decode()):
                    raise ValueError("no matching v1a signature")
                event = json.loads(body)
            else:
                event = Webhook(secret).verify(body, dict(request.headers))
        except Exception as exc:  # the library raises its own error types
            print(f"REFUSED {request.headers.get('webhook-id')}: {exc}", file=out, flush=True)
            return Response(status_code=401)
        aggregate, sequence = event.get("aggregate_id"), event.get("sequence")
        gap = ""
        if aggregate and isinstance(sequence, int):
            seen = last.get(aggregate, 0)
            if sequence > seen + 1:
                gap = f"  (gap: {seen + 1}..{sequence - 1} not seen yet)"
            last[aggregate] = max(seen, sequence)
        print(f"{request.headers.get('webhook-id')}  {event['type']}  {aggregate} "
              f"#{sequence}{gap}\n{json.dumps(event['data'], indent=2)}", file=out, flush=True)
        return Response(status_code=204)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secret", required=True,
                        help="the endpoint's whsec_… secret, or its whpk_… Ed25519 public key")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    uvicorn.run(receiver(args.secret), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
