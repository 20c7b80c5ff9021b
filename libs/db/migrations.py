"""Alembic, driven programmatically (sync, through psycopg; call it in a thread).

Each service keeps its revisions in `migrations/versions` and its version table in its own
schema, and applies them at start-up as its own role.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text


def alembic_config(migrations_dir: Path, database_url: str, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["database_url"] = database_url
    cfg.attributes["schema"] = schema
    return cfg


def upgrade_to_head(migrations_dir: Path, database_url: str, schema: str) -> None:
    """Blocking; call through `asyncio.to_thread` from async code."""
    command.upgrade(alembic_config(migrations_dir, database_url, schema), "head")


def _sqlalchemy_url(database_url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix):]
    return database_url


def run_env() -> None:
    """Body of every service's `migrations/env.py`."""
    from alembic import context

    cfg = context.config
    schema: str = cfg.attributes["schema"]
    url: str = cfg.attributes["database_url"]

    # psycopg (not asyncpg) here: revisions are plain SQL scripts with several statements each.
    engine = create_engine(_sqlalchemy_url(url), poolclass=pool.NullPool,
                           connect_args={"options": f"-c search_path={schema}"})
    with engine.connect() as connection:
        context.configure(
            connection=connection, version_table_schema=schema, transactional_ddl=True,
        )
        with context.begin_transaction():
            # One service instance migrates at a time; the others wait here.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": schema})
            context.run_migrations()
    engine.dispose()
