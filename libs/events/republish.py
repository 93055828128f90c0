"""``python -m libs.events.republish --service points --from-position N`` — re-publish after a JetStream loss.

The outbox keeps every published row, so what JetStream lost (a deleted stream, a wiped store, un-fsynced writes
after a power cut) can be sent again: this marks the range unpublished and wakes the service's relay, which
publishes it in order with the original ``Nats-Msg-Id``. Consumers' inboxes absorb whatever they had already
applied, so re-publishing too much is always safe; re-publishing too little is not — when in doubt, start at 1.

It also provisions the service's stream (with ``<SERVICE>_STREAM_REPLICAS``) if it is gone, so the relay has
somewhere to publish even before a service restarts. Connection settings are the service's own variables
(``<SERVICE>_DATABASE_URL``, ``<SERVICE>_NATS_URL``, ``<SERVICE>_EVENTS_NAMESPACE``, shared fallbacks, ``_FILE``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg
import nats

from libs.events.outbox import notify_channel
from libs.events.relay import republish
from libs.events.streams import ensure_stream
from libs.kit.settings import ServiceSettings, service_env_settings


async def republish_range(settings: ServiceSettings, *, from_position: int, to_position: int | None,
                          dry_run: bool = False) -> int:
    """Mark ``[from_position, to_position]`` unpublished (or only count it, ``dry_run``); returns the row count."""
    conn = await asyncpg.connect(settings.asyncpg_dsn, server_settings={"search_path": settings.db_schema})
    try:
        if dry_run:
            return int(await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE position >= $1 AND ($2::bigint IS NULL OR position <= $2)",
                from_position, to_position))
        count = await republish(conn, from_position=from_position, to_position=to_position)
        await conn.execute("SELECT pg_notify($1, '')", notify_channel(settings.db_schema))
        return count
    finally:
        await conn.close()


async def provision(settings: ServiceSettings) -> str:
    nc = await nats.connect(settings.nats_servers, connect_timeout=5, max_reconnect_attempts=3)
    try:
        return await ensure_stream(nc.jetstream(timeout=10.0), settings.events_namespace, settings.service_name,
                                   replicas=settings.stream_replicas)
    finally:
        await nc.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libs.events.republish",
                                     description="re-publish outbox rows after a JetStream loss")
    parser.add_argument("--service", required=True, help="the producing service (its schema and stream)")
    parser.add_argument("--from-position", type=int, required=True, help="first outbox position (1 = everything)")
    parser.add_argument("--to-position", type=int, help="last outbox position (default: the newest)")
    parser.add_argument("--dry-run", action="store_true", help="only count the rows")
    args = parser.parse_args(argv)
    if args.from_position < 1 or (args.to_position is not None and args.to_position < args.from_position):
        parser.error("positions: 1 <= --from-position <= --to-position")
    settings = service_env_settings(args.service)
    if not settings.database_url:
        parser.error(f"no database URL: set {args.service.upper()}_DATABASE_URL or DATABASE_URL (or their _FILE)")
    try:
        if settings.nats_url and not args.dry_run:
            print(f"stream {asyncio.run(provision(settings))} ready")
        count = asyncio.run(republish_range(settings, from_position=args.from_position,
                                            to_position=args.to_position, dry_run=args.dry_run))
    except (OSError, asyncpg.PostgresError, nats.errors.Error) as exc:
        print(f"无法执行 / failed: {exc!r}", file=sys.stderr)
        return 2
    verb = "would be re-published" if args.dry_run else "marked for re-publication; the service's relay sends them"
    print(f"{count} outbox rows of {settings.db_schema} {verb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
