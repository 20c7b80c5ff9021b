"""Cursor pages (unit: no servers): the extra row fetched says another page exists, the cursor
names the last row shown and reads back to its sort key; a made-up cursor is a 422."""

from __future__ import annotations

import pytest

from libs.errors import Problem
from libs.pagination import decode_cursor, page_of


def test_a_page_holds_the_limit_and_a_cursor_only_when_more_follow() -> None:
    full = page_of([1, 2, 3], 2, lambda n: (n, "x"))
    assert full.items == [1, 2]
    assert full.next_cursor is not None and decode_cursor(full.next_cursor, 2) == [2, "x"]
    last = page_of([4, 5], 2, lambda n: (n,))
    assert last.items == [4, 5] and last.next_cursor is None
    assert page_of([], 2, lambda n: (n,)).next_cursor is None


def test_a_made_up_cursor_is_refused_with_the_field_named() -> None:
    with pytest.raises(Problem) as refused:
        decode_cursor("not-a-cursor", 1)
    assert refused.value.status == 422
