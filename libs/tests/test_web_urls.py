"""Splitting a client's URL: a malformed one is None, never an exception."""

from __future__ import annotations

import pytest

from libs.web_urls import split_url


def test_a_well_formed_url_is_split() -> None:
    parts = split_url("https://hooks.example.com:8443/a/b?c=d")
    assert parts is not None
    assert (parts.scheme, parts.hostname, parts.port, parts.path) == (
        "https", "hooks.example.com", 8443, "/a/b")
    assert split_url("https://[2001:db8::1]/x") is not None


@pytest.mark.parametrize("url", ["https://a[b/x", "https://[::1/x", "https://x]/",
                                 "https://a b/", "https://ab/\t", "https://a\x12b/",
                                 "https://ab/\x7f", "https://ab/\u2028"])
def test_unbalanced_brackets_spaces_and_control_characters_are_not_urls(url: str) -> None:
    assert split_url(url) is None
