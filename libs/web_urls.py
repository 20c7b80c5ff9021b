"""URLs the platform takes from clients: webhook endpoints, product images, video media.

Python's `urlsplit` raises ValueError on an unbalanced bracket in the host
(`https://a[b/`), which reached a seller registering a webhook endpoint as a 500 (schemathesis
found it); and it takes control characters and spaces without complaint, so a URL a browser or
an HTTP client would refuse was stored as given. Every check of a client's URL splits it here,
so a malformed one is a field error like any other.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def split_url(url: str) -> SplitResult | None:
    """The URL's parts, or None when it is not a URL: an unbalanced bracket in the host, or a
    space or control character anywhere."""
    if any(char.isspace() or not char.isprintable() for char in url):
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None
