"""PostgreSQL and NATS JetStream for a benchmark run, and the databases in them.

Embedded by default (the project's own ``libs.devstack`` pieces): PostgreSQL keeps its data under
``bench/cache/pg`` so the big generated ledger survives between runs; JetStream gets a fresh folder that is
removed at the end. The pytest smoke test passes the test session's engines instead (``Engines.external``).
Every server we start is stopped by its own PID.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from libs.devstack.nats import EmbeddedNats
from libs.devstack.ports import free_port
from libs.devstack.postgres import EmbeddedPostgres
from libs.kit.migrations import SERVICES_WITH_DB, alembic_config, upgrade

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / "cache"


@dataclass
class Engines:
    pg_server_url: str  # the server's maintenance database
    nats_url: str
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    tmp: list[Path] = field(default_factory=list)

    @classmethod
    def external(cls, pg_server_url: str, nats_url: str) -> Engines:
        return cls(pg_server_url, nats_url)

    @classmethod
    def embedded(cls, cache_dir: Path = CACHE_DIR) -> Engines:
        cache_dir.mkdir(parents=True, exist_ok=True)
        pg = EmbeddedPostgres(cache_dir / "pg", free_port())
        pg.start()
        nats_dir = Path(tempfile.mkdtemp(prefix="nats-", dir=cache_dir))
        server = EmbeddedNats(nats_dir, free_port(), free_port())
        try:
            server.start()
        except Exception:
            pg.stop()
            raise
        return cls(pg.url, server.url, pg, server, [nats_dir])

    @property
    def embedded_pg(self) -> bool:
        return self.postgres is not None

    def database_url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.pg_server_url)._replace(path="/" + name))

    def stop(self) -> None:
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()
        for path in self.tmp:
            shutil.rmtree(path, ignore_errors=True)

    # ---- databases ----------------------------------------------------------------------------
    async def admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.pg_server_url)

    async def exists(self, name: str) -> bool:
        conn = await self.admin()
        try:
            return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
        finally:
            await conn.close()

    async def create(self, name: str, template: str | None = None, *, file_copy: bool = False) -> None:
        conn = await self.admin()
        try:
            sql = f'CREATE DATABASE "{name}"'
            if template:
                sql += f' TEMPLATE "{template}"'
                if file_copy:
                    sql += " STRATEGY FILE_COPY"
            await conn.execute(sql)
        finally:
            await conn.close()

    async def drop(self, name: str) -> None:
        conn = await self.admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def list_databases(self, prefix: str) -> list[str]:
        conn = await self.admin()
        try:
            rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%")
            return [r["datname"] for r in rows]
        finally:
            await conn.close()

    async def size(self, name: str) -> int:
        conn = await self.admin()
        try:
            return int(await conn.fetchval("SELECT pg_database_size($1)", name))
        finally:
            await conn.close()

    async def server_version(self) -> str:
        conn = await self.admin()
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    async def migrated_template(self) -> str:
        """A database with every service's migrations at head (created per run, dropped at the end)."""
        name = f"bench_tpl_{uuid.uuid4().hex[:8]}"
        await self.create(name)
        url = self.database_url(name)
        for service in SERVICES_WITH_DB:
            await asyncio.to_thread(upgrade, service, url)
        return name


def migration_heads() -> dict[str, str]:
    """Each service's Alembic head revision (part of the ledger cache key)."""
    from alembic.script import ScriptDirectory

    heads = {}
    for service in SERVICES_WITH_DB:
        script = ScriptDirectory.from_config(alembic_config(service))
        heads[service] = ",".join(sorted(script.get_heads()))
    return heads


def heads_key(service: str = "points") -> str:
    """The cache key part of the schema: the points migration head (the ledger and its projections live there;
    the scenarios on the cached ledger run the points service only)."""
    head = migration_heads()[service]
    return hashlib.sha256(head.encode()).hexdigest()[:6] + "_" + head.replace(",", "-")[-24:]
