"""A file upload's body is refused as soon as it passes its limit, without buffering the rest
of a chunked body (issue 12, item 9: the bulk import read everything, then checked)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from libs.errors import Problem
from libs.request_guard import body_at_most

KIB = 1024


class Upload:
    """Enough of a Starlette request: headers and a body stream that counts what was read."""

    def __init__(self, chunks: int, headers: dict[str, str] | None = None) -> None:
        self.headers = headers or {}
        self.chunks, self.read = chunks, 0

    async def stream(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.read += 1
            yield b"x" * KIB


async def test_a_chunked_body_is_refused_once_it_passes_the_limit() -> None:
    upload = Upload(chunks=1000)
    with pytest.raises(Problem) as refused:
        await body_at_most(upload, 10 * KIB)
    assert refused.value.status == 413
    assert upload.read == 11  # not the 1,000 the client would send


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    upload = Upload(chunks=20, headers={"content-length": str(20 * KIB)})
    with pytest.raises(Problem):
        await body_at_most(upload, 10 * KIB)
    assert upload.read == 0


async def test_a_body_within_the_limit_is_read_whole() -> None:
    assert await body_at_most(Upload(chunks=10), 10 * KIB) == b"x" * 10 * KIB
