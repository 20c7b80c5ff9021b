"""The feed's model, measured offline: `make eval-discovery`.

Interactions of the seeds' simulated buyers (`seeds.buyers`) are split by time: each buyer's
last fifth of distinct products is held out, everything before it trains. Two recommenders
then rank, for each buyer, the products they have not touched in training:
- the popularity baseline: the market's most popular products, the same for everyone (what the
  non-personalised feed shows);
- the service's feed: `domain.ranking.rank` over the same candidates, with co-visitation
  counted exactly as the service counts it (`co_visitation_pairs` over each buyer's recent
  window) and the buyer's profile built from their last `recent_items` training interactions.

recall@20 is the share of held-out products in the top 20; nDCG@20 also rewards ranking them
higher. Both are averaged over buyers with something held out.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from seeds.buyers import SimProduct, Touch, simulate
from services.discovery.domain.ranking import (
    ACTION_WEIGHT,
    Action,
    Candidate,
    Profile,
    category_weights,
    co_visitation_pairs,
    rank,
)

K = 20


@dataclass(frozen=True)
class Split:
    train: list[Touch]
    held_out: dict[str, set[UUID]]


def split(touches: list[Touch], share: float = 0.2) -> Split:
    by_buyer: dict[str, list[Touch]] = defaultdict(list)
    for t in touches:
        by_buyer[t.buyer].append(t)
    train, held = [], {}
    for buyer, own in by_buyer.items():
        own.sort(key=lambda t: t.step)
        distinct = list(dict.fromkeys(t.product for t in own))
        keep = max(1, math.ceil(len(distinct) * (1 - share)))
        known = set(distinct[:keep])
        cut = next(i for i, t in enumerate(own) if t.product not in known) \
            if len(distinct) > keep else len(own)
        train.extend(own[:cut])
        later = {t.product for t in own[cut:]} - {t.product for t in own[:cut]}
        if later:
            held[buyer] = later
    return Split(train, held)


def _weight(action: str) -> float:
    return ACTION_WEIGHT[Action(action)]


def popularity(train: list[Touch]) -> dict[UUID, float]:
    scores: dict[UUID, float] = defaultdict(float)
    for t in train:
        scores[t.product] += _weight(t.action)
    return scores


def co_visits(train: list[Touch], window: int, keep: int) -> dict[UUID, dict[UUID, float]]:
    """As the service keeps them: counted per interaction, then each item's strongest `keep`
    neighbours (`prune_co_visits`)."""
    pairs: dict[UUID, dict[UUID, float]] = defaultdict(lambda: defaultdict(float))
    recent: dict[str, list[UUID]] = defaultdict(list)
    for t in sorted(train, key=lambda t: (t.buyer, t.step)):
        for a, b, w in co_visitation_pairs(recent[t.buyer][-window:], t.product, _weight(t.action)):
            pairs[a][b] += w
        recent[t.buyer].append(t.product)
    return {item: dict(sorted(others.items(), key=lambda o: (-o[1], str(o[0])))[:keep])
            for item, others in pairs.items()}


Recommender = Callable[[str], list[UUID]]


def recommenders(products: list[SimProduct], data: Split, window: int, keep: int = 50
                 ) -> dict[str, Recommender]:
    category = {p.id: p.category for p in products}
    popular = popularity(data.train)
    pairs = co_visits(data.train, window, keep)
    history: dict[str, list[Touch]] = defaultdict(list)
    for t in sorted(data.train, key=lambda t: t.step):
        history[t.buyer].append(t)
    ordered = sorted(category, key=lambda p: (-popular.get(p, 0.0), str(p)))

    def baseline(buyer: str) -> list[UUID]:
        seen = {t.product for t in history[buyer]}
        return [p for p in ordered if p not in seen][:K]

    def feed(buyer: str) -> list[UUID]:
        own = history[buyer]
        seen = {t.product for t in own}
        recent = own[-window:]
        profile = Profile(recent_items=tuple(t.product for t in recent),
                          category_weights=category_weights(
                              (category[t.product], _weight(t.action)) for t in recent))
        affinity: dict[UUID, float] = defaultdict(float)
        for t in recent:
            for other, w in pairs.get(t.product, {}).items():
                affinity[other] += w
        candidates = [Candidate(p, "product", category[p], popular.get(p, 0.0),
                                affinity.get(p, 0.0)) for p in category if p not in seen]
        return [c.item_id for c in rank(candidates, profile=profile)[:K]]

    return {"popularity": baseline, "feed (co-visitation + interests)": feed}


def measure(recommend: Recommender, held_out: dict[str, set[UUID]]) -> tuple[float, float]:
    recall = ndcg = 0.0
    for buyer, truth in held_out.items():
        top = recommend(buyer)
        hits = [1.0 if p in truth else 0.0 for p in top]
        recall += sum(hits) / len(truth)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(truth), K)))
        ndcg += sum(h / math.log2(i + 2) for i, h in enumerate(hits)) / ideal
    n = len(held_out)
    return recall / n, ndcg / n


def evaluate(*, buyers: int, per_category: int, seed: int, window: int
             ) -> dict[str, tuple[float, float]]:
    products, touches = simulate(buyers=buyers, per_category=per_category, seed=seed)
    data = split(touches)
    return {name: measure(model, data.held_out)
            for name, model in recommenders(products, data, window).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--per-category", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--window", type=int, default=20,
                        help="Recent items per buyer (the service's RECENT_ITEMS setting).")
    args = parser.parse_args()
    started = time.perf_counter()
    results = evaluate(buyers=args.buyers, per_category=args.per_category, seed=args.seed,
                       window=args.window)
    print(f"simulated buyers {args.buyers}, products per category {args.per_category}, "
          f"seed {args.seed}, recent window {args.window}")
    print(f"{'model':<36} {'recall@20':>10} {'nDCG@20':>10}")
    for name, (recall, ndcg) in results.items():
        print(f"{name:<36} {recall:>10.4f} {ndcg:>10.4f}")
    base = results["popularity"]
    ours = results["feed (co-visitation + interests)"]
    print(f"lift over popularity: recall x{ours[0] / base[0]:.2f}, nDCG x{ours[1] / base[1]:.2f}"
          f" ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
