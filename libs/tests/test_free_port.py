"""Dev servers' ports: below the kernel's ephemeral range, where no outgoing connection can
take one between its choice and the server's bind."""

from __future__ import annotations

import socket

import pytest

from libs.devstack import servers


def test_a_port_is_chosen_below_the_ephemeral_range_and_is_free() -> None:
    lowest = servers._lowest_ephemeral_port()
    ports = {servers.free_port() for _ in range(20)}
    assert all(port < lowest for port in ports)
    assert len(ports) > 1, "the same port every time"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports.pop()))


def test_a_port_in_use_is_not_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        choices = iter([busy, busy, busy + 1 if busy + 1 < 65536 else busy - 1])
        monkeypatch.setattr(servers._random, "randrange", lambda low, high: next(choices))
        monkeypatch.setattr(servers, "_lowest_ephemeral_port", lambda: 65000)
        assert servers.free_port() != busy


def test_a_range_that_starts_low_leaves_the_choice_to_the_kernel(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers, "_lowest_ephemeral_port", lambda: 1024)
    ports = {servers.free_port() for _ in range(20)}
    assert len(ports) > 1, "the same port every time"
