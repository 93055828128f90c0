"""CLI: ``python -m services.points.export --database-url URL [--from P] [--to P] > ledger.ndjson``.

Writes the ledger export (format ``points-ledger-export`` v1, see ``services.points.audit.export``) to stdout,
sealed with a checkpoint signed now; verify it offline with
``python -m services.points.audit verify --export ledger.ndjson --public-key key.pem``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timezone

from services.points.cli import add_database_argument, connect, settings_from, signing_key
from services.points.ledger.export import export_lines


async def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    conn = await connect(settings)
    try:
        key = await signing_key(settings, conn)
        if args.public_key_out:
            _write(args.public_key_out, key.public_pem)
        out = sys.stdout
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            async for line in export_lines(conn, key, datetime.now(timezone.utc), from_position=args.from_position,
                                           to_position=args.to_position):
                out.write(line)
        out.flush()
    finally:
        await conn.close()
    return 0


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.points.export", description="积分账本导出 (NDJSON)")
    add_database_argument(parser)
    parser.add_argument("--from", dest="from_position", type=int, default=1, help="first position (checkpoint-aligned)")
    parser.add_argument("--to", dest="to_position", type=int, default=None, help="last position")
    parser.add_argument("--public-key-out", help="also write the verifying public key (PEM) to this file")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
