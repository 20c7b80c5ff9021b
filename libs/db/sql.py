"""Small SQL helpers shared by repositories."""

from __future__ import annotations


def locking(select: str, for_update: bool) -> str:
    """The query, locking the rows it reads when the caller will change them."""
    return f"{select} FOR UPDATE" if for_update else select


def insert(table: str, columns: list[str], suffix: str = "") -> str:
    """`INSERT INTO table (columns) VALUES ($1, ...)`, for rows a repository builds as dicts
    (the table and column names are the repository's own, never a caller's)."""
    values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}) {suffix}".rstrip()  # noqa: S608


def assignments(columns: list[str], allowed: set[str], first: int) -> str:
    """`a = $first, b = $first+1, ...` for an UPDATE of the `allowed` columns only."""
    unknown = set(columns) - allowed
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=first))
