"""The offline evaluation on a small simulated market (no servers): the feed's model must beat
the popularity baseline on both measures, and the split must never leak held-out items into
training."""

from __future__ import annotations

from seeds.buyers import simulate
from services.discovery.evaluation import evaluate, split


def test_the_feed_beats_popularity_on_recall_and_ndcg() -> None:
    results = evaluate(buyers=400, per_category=20, seed=3, window=20)
    base_recall, base_ndcg = results["popularity"]
    recall, ndcg = results["feed (co-visitation + interests)"]
    assert recall > base_recall * 1.2
    assert ndcg > base_ndcg * 1.2


def test_held_out_products_are_never_seen_in_training() -> None:
    _, touches = simulate(buyers=100, per_category=10, seed=5)
    data = split(touches)
    trained = {(t.buyer, t.product) for t in data.train}
    assert data.held_out
    assert all((buyer, p) not in trained for buyer, held in data.held_out.items() for p in held)
    assert len(data.train) < len(touches)
