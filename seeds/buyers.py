"""Simulated buyers of the seed marketplace: who looks at what, for the offline evaluation of
the feed (`make eval-discovery`). Deterministic per seed.

The seed catalogue's categories (`seeds.catalog_data.LINES`) are filled with products of
uneven appeal (a few bestsellers, a long tail). Each product also belongs to a *style* that
cuts across categories (the same buyer who likes a boxy hoodie likes chunky trainers and a
matte lipstick of that look). A buyer has one to three favourite categories and a favourite
style; their sessions mix their own taste, items related to what they just looked at (same
style), and whatever is popular. Each step is a view, a tap, an add-to-cart or a purchase."""

from __future__ import annotations

import random
from dataclasses import dataclass
from uuid import UUID

from seeds.catalog_data import LINES

STYLES = 12
ACTIONS = (("view", 0.62), ("tap", 0.25), ("add_to_cart", 0.09), ("purchase", 0.04))


@dataclass(frozen=True)
class SimProduct:
    id: UUID
    category: UUID
    style: int
    appeal: float


@dataclass(frozen=True)
class Touch:
    buyer: str
    product: UUID
    action: str
    step: int


def catalogue(rng: random.Random, per_category: int) -> list[SimProduct]:
    products = []
    for _path in sorted(LINES):
        category = UUID(int=rng.getrandbits(128))
        for _ in range(per_category):
            products.append(SimProduct(UUID(int=rng.getrandbits(128)), category,
                                       rng.randrange(STYLES), rng.paretovariate(1.6)))
    return products


def simulate(*, buyers: int = 2000, per_category: int = 40, seed: int = 7
             ) -> tuple[list[SimProduct], list[Touch]]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    products = catalogue(rng, per_category)
    categories = sorted({p.category for p in products})
    by_category: dict[UUID, list[SimProduct]] = {}
    by_style: dict[int, list[SimProduct]] = {}
    for p in products:
        by_category.setdefault(p.category, []).append(p)
        by_style.setdefault(p.style, []).append(p)
    appeal = [p.appeal for p in products]
    touches: list[Touch] = []
    for n in range(buyers):
        buyer = f"sim-{n}"
        favourites = rng.sample(categories, rng.randint(1, 3))
        style = rng.randrange(STYLES)
        last: SimProduct | None = None
        for step in range(rng.randint(15, 60)):
            roll = rng.random()
            if last is not None and roll < 0.3:
                pool = [p for p in by_style[last.style] if p.id != last.id]
                product = rng.choices(pool, [p.appeal for p in pool])[0]
            elif roll < 0.8:
                pool = by_category[rng.choice(favourites)]
                weights = [p.appeal * (4.0 if p.style == style else 1.0) for p in pool]
                product = rng.choices(pool, weights)[0]
            else:
                product = rng.choices(products, appeal)[0]
            action = rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
            touches.append(Touch(buyer, product.id, action, step))
            last = product
    return products, touches
