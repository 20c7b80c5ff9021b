"""`python -m ops`: operator commands against a running marketplace.

    python -m ops dead-letters list --group catalog
    python -m ops dead-letters replay --group catalog --event-id 0196...   (or --since/--until)

The Kafka bootstrap comes from `--bootstrap`, else `KAFKA_BOOTSTRAP_SERVERS`, else the dev
stack's `.stack/stack.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from ops import dead_letters


def _bootstrap(given: str | None) -> str:
    if given:
        return given
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    stack = Path(".stack/stack.json")
    if stack.exists():
        return str(json.loads(stack.read_text())["kafka_bootstrap"])
    sys.exit("No Kafka: pass --bootstrap or set KAFKA_BOOTSTRAP_SERVERS.")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers")
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
    return parser


async def _main(args: argparse.Namespace) -> int:
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
