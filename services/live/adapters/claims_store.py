"""Flash-deal claims in Redis: one Lua script decides each claim atomically, across every
instance of the service, against Redis's own clock (so instances' clocks do not matter).

A grant is decided here and recorded in Postgres just after, so the script also notes it as
*pending* (claim id, buyer, units, when) until the record has committed. A process killed in
between leaves the note behind, and the audit (`use_cases/claim_audit.py`) finds it: a grant
that never reached Postgres goes back to the deal instead of vanishing.

Keys share the `{deal_id}` hash tag so a deal's keys live on one node of a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import redis.asyncio as redis

from libs.ids import new_id
from services.live.domain.deals import ClaimRefusal

_CLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# The Redis epoch of the deal at KEYS[1]: '0' for a deal armed and never rebuilt, nil when
# Redis does not hold the deal.
_DEAL_EPOCH = """
local function deal_epoch()
  if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
  return redis.call('HGET', KEYS[1], 'epoch') or '0'
end
"""

# KEYS: deal, buyers, attempts, pending
# ARGV: buyer, quantity, attempt limit, window ms, count it, claim id
# The buyer's attempt budget comes first (a sliding-window counter, as `libs.rate_limit`
# counts, kept per deal so that every key shares the deal's hash slot), then the deal's rules:
# one round trip decides both.
_CLAIM = _CLOCK + """
local window = tonumber(ARGV[4])
if ARGV[5] == '1' then
  local current = math.floor(now / window)
  local elapsed = now % window
  local counts = redis.call('HMGET', KEYS[3], ARGV[1] .. ':' .. (current - 1),
                            ARGV[1] .. ':' .. current)
  local before, this = tonumber(counts[1]) or 0, tonumber(counts[2]) or 0
  local limit = tonumber(ARGV[3])
  if before * (window - elapsed) / window + this + 1 > limit then
    -- when the estimate first allows one more: later in this window as the previous one
    -- weighs less, else in the next, once this window's count weighs little enough
    local wait
    if this + 1 <= limit then
      wait = math.min(window - elapsed,
                      math.ceil(window * (1 - (limit - this - 1) / before)) - elapsed)
    else
      wait = window - elapsed + math.ceil(window * (1 - (limit - 1) / this))
    end
    return {'rate_limited', math.max(1, wait)}
  end
  redis.call('HINCRBY', KEYS[3], ARGV[1] .. ':' .. current, 1)
  redis.call('PEXPIRE', KEYS[3], 2 * window)
end
local f = redis.call('HMGET', KEYS[1], 'remaining', 'limit', 'starts_ms', 'ends_ms', 'epoch')
if not f[1] then return {'not_ready', -1} end
local remaining = tonumber(f[1])
if now < tonumber(f[3]) then return {'not_started', remaining} end
if now >= tonumber(f[4]) then return {'ended', remaining} end
local quantity = tonumber(ARGV[2])
if remaining < quantity then return {'sold_out', remaining} end
local taken = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if taken + quantity > tonumber(f[2]) then return {'limit_reached', remaining} end
redis.call('HINCRBY', KEYS[1], 'remaining', -quantity)
redis.call('HINCRBY', KEYS[2], ARGV[1], quantity)
local epoch = f[5] or '0'
redis.call('HSET', KEYS[4], ARGV[6], ARGV[1] .. '|' .. quantity .. '|' .. now .. '|' .. epoch)
redis.call('PEXPIREAT', KEYS[4], tonumber(f[4]) + 86400000)
return {'ok', remaining - quantity, tonumber(epoch)}
"""

# KEYS: deal, buyers, returned, pending   ARGV: claim id, buyer, quantity, and for a grant
# never recorded the epoch it was decided under ('' for a recorded claim).
# Idempotent per claim: a retried expiry never hands the same units back twice. A grant
# decided under another epoch than the deal's is not in the deal's count (the deal was
# rebuilt from Postgres without it), so nothing goes back: 'fenced'.
_GIVE_BACK = _CLOCK + _DEAL_EPOCH + """
redis.call('HDEL', KEYS[4], ARGV[1])
local before = redis.call('HGET', KEYS[3], ARGV[1])
if before then return before end
local epoch = deal_epoch()
if ARGV[4] ~= '' and epoch and epoch ~= ARGV[4] then return 'fenced' end
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends_ms') or '0')
local destination = 'stock'
if now < ends then
  redis.call('HINCRBY', KEYS[1], 'remaining', tonumber(ARGV[3]))
  redis.call('HINCRBY', KEYS[2], ARGV[2], -tonumber(ARGV[3]))
  destination = 'deal'
end
redis.call('HSET', KEYS[3], ARGV[1], destination)
redis.call('PEXPIREAT', KEYS[3], ends + 86400000)
return destination
"""

# KEYS: deal   ARGV: quantity, limit, starts_ms, ends_ms
# `remaining` is only ever set once, so arming twice (a replayed event) cannot refill a deal.
_ARM = """
redis.call('HSETNX', KEYS[1], 'remaining', ARGV[1])
redis.call('HSET', KEYS[1], 'limit', ARGV[2], 'starts_ms', ARGV[3], 'ends_ms', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], tonumber(ARGV[4]) + 86400000)
redis.call('PEXPIREAT', KEYS[2], tonumber(ARGV[4]) + 86400000)
return 1
"""

# KEYS: deal, buyers, pending   ARGV: remaining, limit, starts_ms, ends_ms, epoch, the epoch
# Postgres kept until now, then buyer and units pairs. When Redis lost the deal (a restart
# without persistence), or holds it at an epoch Postgres does not (an older snapshot, a
# rebuild that never committed): Postgres's record of the claims says what is left and who
# holds what. Grants decided before (at another epoch) will not be recorded, so their pending
# notes go too: the audit must not hand back units the new count never took out. A deal Redis
# holds at the kept epoch is left alone.
_REBUILD = _DEAL_EPOCH + """
if deal_epoch() == ARGV[6] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'remaining', ARGV[1], 'limit', ARGV[2], 'starts_ms', ARGV[3],
           'ends_ms', ARGV[4], 'epoch', ARGV[5])
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIREAT', KEYS[1], tonumber(ARGV[4]) + 86400000)
redis.call('PEXPIREAT', KEYS[2], tonumber(ARGV[4]) + 86400000)
return 1
"""

# KEYS: deal, buyers, pending   ARGV: epoch
# Drops a deal's state held at an epoch Postgres does not keep; 1 if it did.
_DISCARD = _DEAL_EPOCH + """
if deal_epoch() ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
"""

# KEYS: pending   ARGV: age in ms
# -> claim id, buyer, units, epoch of each grant noted longer ago than the age, by Redis's
# clock (the epoch is '' in a note written before notes carried it)
_STALE = _CLOCK + """
local stale = {}
local notes = redis.call('HGETALL', KEYS[1])
for i = 1, #notes, 2 do
  local buyer, units, at, epoch = string.match(notes[i + 1], '^(.*)|(%d+)|(%d+)|(%d+)$')
  if not at then
    buyer, units, at = string.match(notes[i + 1], '^(.*)|(%d+)|(%d+)$')
    epoch = ''
  end
  if at and now - tonumber(at) >= tonumber(ARGV[1]) then
    table.insert(stale, notes[i])
    table.insert(stale, buyer)
    table.insert(stale, units)
    table.insert(stale, epoch)
  end
end
return stale
"""

# KEYS: deal   ARGV: 1 to close it now even if its time is not up
# -> the units never claimed once the deal is closed; -1 while it still runs; -2 never armed
_CLOSE = _CLOCK + """
local f = redis.call('HMGET', KEYS[1], 'remaining', 'ends_ms')
if not f[1] then return -2 end
if now < tonumber(f[2]) then
  if ARGV[1] ~= '1' then return -1 end
  redis.call('HSET', KEYS[1], 'ends_ms', now)
end
return tonumber(f[1])
"""


NEVER_ARMED = -2


@dataclass(frozen=True)
class AttemptBudget:
    """At most `limit` claim attempts per buyer and deal in any `window_seconds`."""
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class ClaimDecision:
    refusal: ClaimRefusal | None
    remaining: int
    retry_after_ms: int = 0
    """When the attempt budget refused (`refusal` is None and `over_budget` is true)."""
    claim_id: UUID | None = None
    """A grant's id, noted as pending until `settle` (or `give_back`) says it was dealt with."""
    epoch: int = 0
    """A grant's Redis epoch (see `rebuild`): its record must find the deal still at it."""

    @property
    def over_budget(self) -> bool:
        return self.retry_after_ms > 0

    @property
    def granted(self) -> bool:
        return self.refusal is None and not self.over_budget


@dataclass(frozen=True)
class PendingGrant:
    """A grant Redis decided whose Postgres record was not confirmed (yet)."""
    claim_id: UUID
    buyer_id: str
    quantity: int
    epoch: int | None = None
    """The Redis epoch it was decided under (None if noted before notes carried it)."""


class DealKeys(NamedTuple):
    deal: str
    buyers: str
    returned: str
    pending: str


def _keys(deal_id: UUID) -> DealKeys:
    tag = f"{{{deal_id}}}"
    return DealKeys(f"deal:{tag}", f"deal:{tag}:buyers", f"deal:{tag}:returned",
                    f"deal:{tag}:pending")


def _attempts_key(deal_id: UUID) -> str:
    return f"deal:{{{deal_id}}}:attempts"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class ClaimsStore:
    def __init__(self, client: redis.Redis) -> None:
        self._claim: Any = client.register_script(_CLAIM)
        self._give_back: Any = client.register_script(_GIVE_BACK)
        self._arm: Any = client.register_script(_ARM)
        self._close: Any = client.register_script(_CLOSE)
        self._rebuild: Any = client.register_script(_REBUILD)
        self._stale: Any = client.register_script(_STALE)
        self._discard: Any = client.register_script(_DISCARD)
        self._client = client

    async def arm(self, deal_id: UUID, *, quantity: int, per_buyer_limit: int,
                  starts_at: datetime, ends_at: datetime) -> None:
        deal, buyers, _, _ = _keys(deal_id)
        await self._arm(keys=[deal, buyers],
                        args=[quantity, per_buyer_limit, _ms(starts_at), _ms(ends_at)])

    async def rebuild(self, deal_id: UUID, *, remaining: int, per_buyer_limit: int,
                      starts_at: datetime, ends_at: datetime, held: dict[str, int],
                      epoch: int, kept_epoch: int) -> bool:
        """Restores the deal from what Postgres recorded, at the deal's new `epoch`, unless
        Redis holds it at `kept_epoch` (the one Postgres kept): False then."""
        keys = _keys(deal_id)
        pairs = [item for buyer, units in held.items() for item in (buyer, units)]
        return bool(await self._rebuild(
            keys=[keys.deal, keys.buyers, keys.pending],
            args=[remaining, per_buyer_limit, _ms(starts_at), _ms(ends_at), epoch, kept_epoch,
                  *pairs]))

    async def discard(self, deal_id: UUID, epoch: int) -> bool:
        """Drops the deal's state if Redis holds it at `epoch`, one Postgres does not keep
        (the next claim rebuilds it); True if it did."""
        keys = _keys(deal_id)
        return bool(await self._discard(keys=[keys.deal, keys.buyers, keys.pending],
                                        args=[epoch]))

    async def forget(self, deal_id: UUID) -> None:
        """Drops the deal's state as a Redis that lost its data would (tests and drills)."""
        keys = _keys(deal_id)
        await self._client.delete(keys.deal, keys.buyers, keys.pending)

    async def claim(self, deal_id: UUID, buyer_id: str, quantity: int, budget: AttemptBudget, *,
                    count_attempt: bool = True) -> ClaimDecision:
        """Counts the attempt against the buyer's budget (unless `count_attempt` is false: the
        same attempt asked again), then decides the claim, in one script. A grant comes with
        its claim id, noted as pending until `settle` or `give_back`."""
        keys, claim_id = _keys(deal_id), new_id()
        outcome, figure, *epoch = await self._claim(
            keys=[keys.deal, keys.buyers, _attempts_key(deal_id), keys.pending],
            args=[buyer_id, quantity, budget.limit, budget.window_seconds * 1000,
                  "1" if count_attempt else "0", str(claim_id)])
        outcome = outcome.decode() if isinstance(outcome, bytes) else outcome
        if outcome == "rate_limited":
            return ClaimDecision(None, -1, retry_after_ms=int(figure))
        if outcome == "ok":
            return ClaimDecision(None, int(figure), claim_id=claim_id, epoch=int(epoch[0]))
        return ClaimDecision(ClaimRefusal(outcome), int(figure))

    async def settle(self, deal_id: UUID, claim_id: UUID) -> None:
        """The grant's record committed: it is no longer pending."""
        await self._client.hdel(_keys(deal_id).pending, str(claim_id))  # type: ignore[misc]

    async def settle_many(self, grants: list[tuple[UUID, UUID]]) -> None:
        """`settle` for `(deal id, claim id)` pairs, in one round trip."""
        async with self._client.pipeline(transaction=False) as pipe:
            for deal_id, claim_id in grants:
                pipe.hdel(_keys(deal_id).pending, str(claim_id))
            await pipe.execute()

    async def stale_grants(self, deal_id: UUID, *, older_than_seconds: float
                           ) -> list[PendingGrant]:
        """Grants still pending after `older_than_seconds` by Redis's clock: their process
        died or stalled between Redis's decision and Postgres's record."""
        flat = await self._stale(keys=[_keys(deal_id).pending],
                                 args=[int(older_than_seconds * 1000)])
        text = [item.decode() if isinstance(item, bytes) else str(item) for item in flat]
        return [PendingGrant(UUID(text[i]), text[i + 1], int(text[i + 2]),
                             int(text[i + 3]) if text[i + 3] else None)
                for i in range(0, len(text), 4)]

    async def pending_count(self, deal_id: UUID) -> int:
        return int(await self._client.hlen(_keys(deal_id).pending))  # type: ignore[misc]

    async def give_back(self, deal_id: UUID, claim_id: UUID, buyer_id: str,
                        quantity: int, *, unrecorded_at_epoch: int | None = None) -> str:
        """Hands an unpaid claim's units back: to the deal while it runs ('deal'), else to
        the SKU's stock ('stock', which catalog does on the claim's expiry event). A grant
        never recorded names the epoch it was decided under: if the deal has been rebuilt
        since, its units were never counted out of it and nothing goes back ('fenced')."""
        keys = _keys(deal_id)
        epoch = "" if unrecorded_at_epoch is None else str(unrecorded_at_epoch)
        destination = await self._give_back(keys=list(keys),
                                            args=[str(claim_id), buyer_id, quantity, epoch])
        return str(destination.decode() if isinstance(destination, bytes) else destination)

    async def close(self, deal_id: UUID, *, cut_short: bool) -> int | None:
        """Closes the deal to claims and returns the units never claimed: None while it still
        runs by Redis's clock (unless `cut_short`), NEVER_ARMED when nothing could be claimed."""
        left = int(await self._close(keys=[_keys(deal_id).deal], args=["1" if cut_short else "0"]))
        if left == -1:
            return None
        return left

    async def remaining(self, deal_id: UUID) -> int | None:
        value = await self._client.hget(_keys(deal_id).deal, "remaining")  # type: ignore[misc]
        return int(value) if value is not None else None
