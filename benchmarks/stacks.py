"""The stack a benchmark measures: the running one (`make run`) when it answers, else a seeded
durable one of the benchmark's own, stopped when it is done."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any


def running(stack_file: Path) -> dict[str, Any] | None:
    if not stack_file.exists():
        return None
    stack: dict[str, Any] = json.loads(stack_file.read_text())
    try:
        with urllib.request.urlopen(stack["services"]["catalog"] + "/readyz", timeout=2) as r:  # noqa: S310
            return stack if r.status == 200 else None
    except OSError:
        return None


@asynccontextmanager
async def running_or_seeded(stack_file: Path) -> AsyncIterator[dict[str, Any]]:
    stack = running(stack_file)
    if stack is not None:
        yield stack
        return
    from devstack.stack import Stack
    from seeds.load import load_seed_marketplace

    print("starting a seeded durable stack ...", flush=True)
    own = Stack(Path(".stack-bench").resolve(), None, durable=True)
    try:
        stack = await asyncio.to_thread(own.start)
        await load_seed_marketplace(stack)
        yield stack
    finally:
        await asyncio.to_thread(own.stop)
