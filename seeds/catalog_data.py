"""Believable listings for the seed marketplace, generated deterministically per seller."""

from __future__ import annotations

import random
from typing import Any

# Minor units of each currency per penny: rate to GBP x 10^(decimals - 2).
PER_PENNY = {"GBP": 1, "EUR": 1.15, "USD": 1.27, "IDR": 205, "MYR": 5.9, "PHP": 72, "SGD": 1.7,
             "THB": 45, "VND": 330, "MXN": 23, "BRL": 7.2, "JPY": 1.9}
SIZES = ["XS", "S", "M", "L", "XL"]
COLOURS = ["black", "navy", "olive", "sand", "rust", "ivory", "forest green", "charcoal"]

# leaf category path -> (title parts, price range in pence, attributes maker, options maker)
LINES: dict[str, dict[str, Any]] = {
    "Fashion/Women's clothing": {
        "adjectives": ["Relaxed", "Cropped", "Wrap", "Pleated", "Oversized", "Tailored", "Ribbed"],
        "things": ["linen shirt", "midi dress", "cardigan", "wide-leg trousers", "blazer",
                   "knit vest", "denim jacket", "satin skirt"],
        "price": (1500, 9000), "sizes": True},
    "Fashion/Men's clothing": {
        "adjectives": ["Heavyweight", "Slim", "Utility", "Brushed", "Boxy", "Merino", "Washed"],
        "things": ["oxford shirt", "chinos", "hoodie", "overshirt", "crewneck jumper",
                   "cargo trousers", "field jacket", "polo shirt"],
        "price": (1800, 12000), "sizes": True},
    "Fashion/Modest wear": {
        "adjectives": ["Flowing", "Embroidered", "Layered", "Chiffon", "Jersey", "Pleated"],
        "things": ["abaya", "tunic", "maxi skirt", "hijab set", "kaftan", "long cardigan"],
        "price": (1200, 8000), "sizes": True},
    "Fashion/Shoes": {
        "adjectives": ["Leather", "Canvas", "Suede", "Chunky", "Minimal", "Retro"],
        "things": ["trainers", "loafers", "chelsea boots", "sandals", "high-tops", "mules"],
        "price": (2500, 14000), "shoe_sizes": True},
    "Beauty & personal care/Skincare": {
        "adjectives": ["Hydrating", "Niacinamide", "Gentle", "Overnight", "Vitamin C", "Barrier"],
        "things": ["face serum 30ml", "cleansing balm", "moisturiser 50ml", "toner", "eye cream",
                   "SPF 50 fluid"], "price": (800, 4500), "brand": True},
    "Beauty & personal care/Makeup": {
        "adjectives": ["Matte", "Dewy", "Long-wear", "Buildable", "Cream", "Sheer"],
        "things": ["lipstick", "foundation", "blush", "mascara", "brow gel", "concealer"],
        "price": (600, 3500), "brand": True},
    "Electronics/Phone accessories": {
        "adjectives": ["Magnetic", "Clear", "Rugged", "Slim", "Leather", "Foldable"],
        "things": ["phone case", "phone stand", "ring holder", "camera lens protector",
                   "wrist strap"], "price": (500, 3000), "brand": True},
    "Electronics/Chargers & cables": {
        "adjectives": ["65W GaN", "Braided", "20W", "3-in-1", "Fast", "Wireless"],
        "things": ["USB-C charger", "USB-C cable 2m", "charging pad", "power bank 10000mAh",
                   "car charger"], "price": (700, 4500), "brand": True, "safety": True},
    "Electronics/Audio": {
        "adjectives": ["Wireless", "Noise-cancelling", "Open-ear", "Compact", "Studio"],
        "things": ["earbuds", "headphones", "bluetooth speaker", "neckband earphones"],
        "price": (1500, 15000), "brand": True},
    "Home & kitchen/Candles": {
        "adjectives": ["Fig & cedar", "Sea salt", "Amber", "Lavender", "Smoked oak", "Neroli"],
        "things": ["soy candle 200g", "travel tin candle", "three-wick candle", "reed diffuser",
                   "wax melts"], "price": (600, 4000)},
    "Home & kitchen/Cookware": {
        "adjectives": ["Cast iron", "Non-stick", "Enamelled", "Stainless steel", "Carbon steel"],
        "things": ["skillet 26cm", "saucepan set", "casserole dish", "wok", "griddle pan"],
        "price": (1500, 12000)},
    "Food & drink/Coffee & tea": {
        "adjectives": ["Single-origin", "Dark roast", "Decaf", "Loose-leaf", "Cold brew",
                       "Organic"], "things": ["coffee beans 250g", "ground coffee 500g",
                                              "green tea 100g", "chai blend", "matcha 30g"],
        "price": (500, 2500)},
    "Pets/Pet toys": {
        "adjectives": ["Squeaky", "Rope", "Puzzle", "Chew-proof", "Feather"],
        "things": ["dog toy", "cat wand", "treat ball", "tug rope", "snuffle mat"],
        "price": (300, 2500)},
    "Pets/Pet food": {
        "adjectives": ["Grain-free", "Salmon", "Chicken", "Senior", "Puppy"],
        "things": ["dry dog food 2kg", "wet cat food 12-pack", "dental chews", "training treats"],
        "price": (400, 4000)},
    "Music/Vinyl records": {
        "adjectives": ["Limited", "Remastered", "Colour vinyl", "Deluxe", "Original press"],
        "things": ["jazz LP", "soul compilation LP", "krautrock LP", "house 12-inch",
                   "film soundtrack LP"], "price": (1800, 6000)},
    "Age-restricted/Knives & blades": {
        "adjectives": ["Damascus", "Japanese", "Folding", "Carbon steel"],
        "things": ["chef's knife 20cm", "paring knife", "bread knife", "pocket knife"],
        "price": (2500, 15000)},
}

# The lines each seed seller (by row number in load.SELLERS) sells.
SELLER_LINES: dict[int, list[str]] = {
    1: ["Fashion/Women's clothing", "Fashion/Men's clothing"],
    2: ["Home & kitchen/Candles"], 3: ["Fashion/Women's clothing", "Beauty & personal care/Makeup"],
    4: ["Fashion/Shoes"], 5: ["Beauty & personal care/Skincare", "Beauty & personal care/Makeup"],
    6: ["Electronics/Chargers & cables", "Electronics/Phone accessories", "Electronics/Audio"],
    7: ["Electronics/Chargers & cables"], 8: ["Home & kitchen/Cookware"],
    9: ["Fashion/Shoes", "Age-restricted/Knives & blades"], 10: ["Fashion/Women's clothing"],
    11: ["Food & drink/Coffee & tea"], 12: ["Pets/Pet toys", "Pets/Pet food"],
    13: ["Fashion/Women's clothing", "Fashion/Modest wear"], 14: ["Beauty & personal care/Makeup"],
    15: ["Food & drink/Coffee & tea"], 16: ["Fashion/Modest wear"],
    17: ["Home & kitchen/Candles", "Home & kitchen/Cookware"],
    18: ["Fashion/Men's clothing", "Fashion/Shoes"], 19: ["Fashion/Women's clothing"],
    20: ["Music/Vinyl records"], 21: ["Beauty & personal care/Skincare"],
    22: ["Beauty & personal care/Skincare"],
}
EDITIONS = ["classic", "gift edition", "2-pack", "travel size", "refill", "bundle", "large",
            "mini", "limited run", "starter set"]
BRANDS = ["Northwind", "Lumen", "Oakline", "Kiso", "Verda", "Halcyon", "Brightway", "Tidal"]


def listings(seller_number: int, currency: str, category_ids: dict[str, str],
             count: int) -> list[dict[str, Any]]:
    rng = random.Random(seller_number)  # noqa: S311 - deterministic seed data, not secrets
    lines = SELLER_LINES.get(seller_number, ["Home & kitchen/Candles"])
    out: list[dict[str, Any]] = []
    seen_titles: set[str] = set()
    for index in range(count * 6):
        if len(out) == count:
            break
        line_name = lines[index % len(lines)]
        line = LINES[line_name]
        colour = rng.choice(COLOURS)
        title = f"{rng.choice(line['adjectives'])} {rng.choice(line['things'])}"
        if line.get("sizes") or line.get("shoe_sizes"):
            title += f" in {colour}"
        else:
            title += f", {rng.choice(EDITIONS)}"
        if title in seen_titles:
            if index < count * 2:
                continue
            title = f"{title}, no. {index}"  # a catalogue ten times the seed outgrows the words
        seen_titles.add(title)
        low, high = line["price"]
        price = int(rng.randrange(low, high, 50) * PER_PENNY[currency])
        attributes: dict[str, Any] = {}
        if line.get("brand"):
            attributes["brand"] = rng.choice(BRANDS)
        if line.get("safety"):
            attributes["safety_mark"] = rng.choice(["UKCA", "CE", "FCC"])
        variants: list[dict[str, Any]]
        if line.get("sizes"):
            attributes.update(size="M", colour=colour)
            variants = [{"size": s} for s in rng.sample(SIZES, rng.randint(2, 4))]
        elif line.get("shoe_sizes"):
            attributes.update(eu_size=42, colour=colour)
            variants = [{"eu_size": str(s)} for s in rng.sample(range(36, 47), rng.randint(2, 4))]
        else:
            variants = [{}]
        handle = f"s{seller_number}-{index}"
        out.append({
            "handle": handle, "title": title,
            "description": f"{title}. Ships from {'our FBT warehouse' if index % 3 else 'the seller'}.",
            "category_id": category_ids[line_name],
            "images": [f"https://cdn.socialcommerce.dev/seed/{handle}-{n}.jpg" for n in range(2)],
            "attributes": attributes,
            "skus": [{"code": f"{handle.upper()}-{n}", "options": options, "price_minor": price,
                      "currency": currency, "stock": rng.choice([0, 3, 12, 40, 120, 300]),
                      "weight_grams": rng.randint(80, 2500)}
                     for n, options in enumerate(variants)],
        })
    return out
