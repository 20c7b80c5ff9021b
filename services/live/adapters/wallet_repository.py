"""Postgres persistence of gift wallets and their double-entry ledger.

A wallet's balance only moves in the same transaction as the ledger entries that explain it,
and the debit is one conditional UPDATE (`balance >= cost`), so concurrent gifts can never take
a wallet below zero.
"""

from __future__ import annotations

from typing import TypeAlias
from uuid import UUID

import asyncpg

from services.live.domain.wallet import Entry

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def credit(conn: asyncpg.Connection, buyer_id: str, tokens: int) -> int:
    return int(await conn.fetchval(
        """INSERT INTO wallets (buyer_id, balance) VALUES ($1, $2)
           ON CONFLICT (buyer_id) DO UPDATE SET balance = wallets.balance + EXCLUDED.balance
           RETURNING balance""", buyer_id, tokens))


async def debit(conn: asyncpg.Connection, buyer_id: str, tokens: int) -> int | None:
    """The new balance, or None when the wallet holds less than `tokens`."""
    balance = await conn.fetchval(
        "UPDATE wallets SET balance = balance - $2 WHERE buyer_id = $1 AND balance >= $2 "
        "RETURNING balance", buyer_id, tokens)
    return None if balance is None else int(balance)


async def balance(conn: Conn, buyer_id: str) -> int:
    return int(await conn.fetchval("SELECT balance FROM wallets WHERE buyer_id = $1",
                                   buyer_id) or 0)


async def post(conn: asyncpg.Connection, transfer_id: UUID, entries: list[Entry]) -> None:
    if sum(e.tokens for e in entries) != 0:
        raise ValueError("unbalanced transfer")
    await conn.executemany(
        "INSERT INTO ledger_entries (transfer_id, account, tokens) VALUES ($1, $2, $3)",
        [(transfer_id, e.account, e.tokens) for e in entries])


async def account_total(conn: Conn, account: str) -> int:
    return int(await conn.fetchval(
        "SELECT coalesce(sum(tokens), 0) FROM ledger_entries WHERE account = $1", account))


async def gift(conn: Conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM gift_catalogue WHERE code = $1", code)


async def gift_catalogue(conn: Conn) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT * FROM gift_catalogue ORDER BY tokens"))


async def add_gift(conn: asyncpg.Connection, *, gift_id: UUID, session_id: UUID, buyer_id: str,
                   host_id: str, gift_code: str, quantity: int, tokens: int) -> None:
    await conn.execute(
        """INSERT INTO gifts (id, session_id, buyer_id, host_id, gift_code, quantity, tokens)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        gift_id, session_id, buyer_id, host_id, gift_code, quantity, tokens)
