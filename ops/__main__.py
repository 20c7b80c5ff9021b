"""`python -m ops`: operator commands against a running marketplace.

    python -m ops dead-letters list --group catalog
    python -m ops dead-letters replay --group catalog --event-id 0196...   (or --since/--until)
    python -m ops lag [--group orders]          consumer lag per group and partition
    python -m ops outbox                        each service's unpublished events, oldest first
    python -m ops migrate --service orders      run a service's migrations up to head again
                                                (with the service's own DATABASE_URL)
    python -m ops reconcile-stock               catalog's stock against the warehouses'
    python -m ops rewind --group orders --to 2026-11-27T10:00+00:00
                                                after a Postgres restore: handle again what
                                                came since the dump (stop the service first)
    python -m ops topics --partitions 12 --replication 3
                                                create every topic and dead-letter topic
                                                (before the first rollout; idempotent)

Kafka comes from `--bootstrap`, else `KAFKA_BOOTSTRAP_SERVERS`; Postgres from `--database-url`
(an administrator's URL that reaches every schema), else `DATABASE_URL`; else both from the
dev stack's `.stack/stack.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from ops import backlog, dead_letters, rewind, topics


def _from(given: str | None, variable: str, stack_key: str, what: str) -> str:
    if given:
        return given
    if os.environ.get(variable):
        return os.environ[variable]
    stack = Path(".stack/stack.json")
    if stack.exists():
        return str(json.loads(stack.read_text())[stack_key])
    sys.exit(f"No {what}: pass it or set {variable}.")


def _bootstrap(given: str | None) -> str:
    return _from(given, "KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap", "Kafka")


def _database(given: str | None) -> str:
    return _from(given, "DATABASE_URL", "database_url", "Postgres")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers")
    parser.add_argument("--database-url", help="an administrator's Postgres URL")
    commands = parser.add_subparsers(dest="command", required=True)
    dlq = commands.add_parser("dead-letters", help="a consumer group's dead-letter topic")
    actions = dlq.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="what was set aside, why and when")
    listing.add_argument("--group", required=True, help="the consumer group (dlq.<group>)")
    again = actions.add_parser("replay", help="publish dead letters to their topics again")
    again.add_argument("--group", required=True)
    again.add_argument("--event-id", action="append", dest="event_ids",
                       help="replay this event (repeatable)")
    again.add_argument("--since", type=datetime.fromisoformat,
                       help="replay what failed at or after this time (ISO 8601)")
    again.add_argument("--until", type=datetime.fromisoformat,
                       help="... and before this time")
    again.add_argument("--dry-run", action="store_true", help="only say what would be replayed")
    lag = commands.add_parser("lag", help="consumer lag per group and partition")
    lag.add_argument("--group", action="append", dest="groups",
                     help="a consumer group (repeatable; default: every service's)")
    commands.add_parser("outbox", help="each service's unpublished events")
    migrate = commands.add_parser("migrate", help="run a service's migrations up to head")
    migrate.add_argument("--service", required=True, choices=backlog.SERVICES)
    migrate.add_argument("--schema", help="default: the service's name")
    back = commands.add_parser("rewind", help="move a group's offsets back to a time")
    back.add_argument("--group", required=True)
    back.add_argument("--to", required=True, type=datetime.fromisoformat,
                      help="ISO 8601 with a zone: the dump's time")
    back.add_argument("--dry-run", action="store_true", help="only print the new offsets")
    creating = commands.add_parser("topics", help="create every event and dead-letter topic")
    creating.add_argument("--partitions", type=int, default=3,
                        help="partitions of each new topic: the most consumer instances "
                             "of a group that can share its work")
    creating.add_argument("--replication", type=int, default=1,
                        help="replicas of each partition (3 on a production cluster)")
    commands.add_parser("reconcile-stock", help="catalog's stock against the warehouses' "
                        "(python -m services.fulfillment.reconcile)")
    return parser


async def _main(args: argparse.Namespace) -> int:
    if args.command == "lag":
        for lag in await backlog.consumer_lag(_bootstrap(args.bootstrap),
                                              args.groups or list(backlog.SERVICES)):
            print(json.dumps({"group": lag.group, "topic": lag.topic,
                              "partition": lag.partition, "committed": lag.committed,
                              "end": lag.end, "lag": lag.lag}))
        return 0
    if args.command == "outbox":
        for found in await backlog.outbox_backlog(_database(args.database_url)):
            print(json.dumps({"service": found.service, "unpublished": found.unpublished,
                              "failing": found.failing, "oldest": found.oldest.isoformat()
                              if found.oldest else None}))
        return 0
    if args.command == "migrate":
        from libs.db.migrations import upgrade_to_head

        directory = Path(__file__).resolve().parent.parent / "services" / args.service / \
            "migrations"
        url = args.database_url or os.environ.get("DATABASE_URL")
        if not url:  # not the stack's admin URL: tables must belong to the service's role
            sys.exit("Pass the service's own --database-url (or DATABASE_URL).")
        await asyncio.to_thread(upgrade_to_head, directory, url, args.schema or args.service)
        print(f"{args.service}: migrated to head")
        return 0
    if args.command == "rewind":
        for moved in await rewind.rewind(_bootstrap(args.bootstrap), args.group, args.to,
                                         dry_run=args.dry_run):
            print(json.dumps({"topic": moved.topic, "partition": moved.partition,
                              "committed": moved.committed, "to": moved.to,
                              "moved": not args.dry_run}))
        return 0
    if args.command == "topics":
        created = await topics.create_topics(_bootstrap(args.bootstrap), args.partitions,
                                             args.replication)
        print(json.dumps({"topics": created}))
        return 0
    if args.command == "reconcile-stock":
        from services.fulfillment import reconcile

        sys.argv = [sys.argv[0], *(["--database-url", args.database_url]
                                   if args.database_url else [])]
        reconcile.main()
        return 0
    bootstrap = _bootstrap(args.bootstrap)
    if args.action == "list":
        for letter in await dead_letters.read(bootstrap, args.group):
            print(json.dumps(letter.summary()))
        return 0
    if not args.event_ids and args.since is None:
        sys.exit("Say what to replay: --event-id, or --since (and --until).")
    idempotent = os.environ.get("KAFKA_IDEMPOTENT_PRODUCER", "false").lower() == "true"
    replayed = await dead_letters.replay(
        bootstrap, args.group,
        dead_letters.chosen(set(args.event_ids) if args.event_ids else None, args.since,
                            args.until), idempotent=idempotent, dry_run=args.dry_run)
    for letter in replayed:
        print(json.dumps({**letter.summary(), "replayed": not args.dry_run}))
    print(f"{len(replayed)} dead letter(s) {'would be ' if args.dry_run else ''}replayed",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(_parser().parse_args())))
