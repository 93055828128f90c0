"""The deploy job ``python -m libs.kit.migrate``: every service's tree to head, streams provisioned; idempotent and
safe when two jobs run at once (as a retried Kubernetes Job or two ``docker compose up`` may)."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator

import asyncpg
import nats
import pytest
from alembic.script import ScriptDirectory

from libs.events.streams import stream_name
from libs.kit.migrate import MIGRATED, PUBLISHERS
from libs.kit.migrations import REPO_ROOT, alembic_config
from tests.harness import databases


@pytest.fixture
async def empty_db(engines) -> AsyncIterator[str]:
    name = await databases.create_template(engines.pg_server_url)
    try:
        yield engines.database_url(name)
    finally:
        await databases.drop(engines.pg_server_url, name)


def job_env(database_url: str, nats_url: str, namespace: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "NATS_URL", "_NAMESPACE"))}
    variables = {**clean, "PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": database_url, "NATS_URL": nats_url}
    variables.update({f"{s.upper()}_EVENTS_NAMESPACE": namespace for s in PUBLISHERS})
    return variables


async def run_job(variables: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "libs.kit.migrate", env=variables,
                                                cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=240)
    return proc.returncode or 0, out.decode()


async def versions(database_url: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(database_url)
    try:
        return {s: {r["version_num"] for r in await conn.fetch(f'SELECT version_num FROM "{s}".alembic_version')}
                for s in MIGRATED}
    finally:
        await conn.close()


def heads() -> dict[str, set[str]]:
    return {s: set(ScriptDirectory.from_config(alembic_config(s)).get_heads()) for s in MIGRATED}


class TestMigrateJob:
    async def test_two_concurrent_jobs_then_a_rerun(self, engines, empty_db: str) -> None:
        namespace = f"m{uuid.uuid4().hex[:8]}."
        variables = job_env(empty_db, engines.nats_url, namespace)
        results = await asyncio.gather(run_job(variables), run_job(variables))
        assert all(code == 0 for code, _ in results), results
        assert await versions(empty_db) == heads()

        code, output = await run_job(variables)  # idempotent: at head, nothing to do
        assert code == 0, output
        assert await versions(empty_db) == heads()

        nc = await nats.connect(engines.nats_url)
        try:
            js = nc.jetstream()
            for service in PUBLISHERS:
                info = await js.stream_info(stream_name(namespace, service))
                assert info.config.subjects == [f"{namespace}alliance.{service}.>"]
                assert info.config.num_replicas == 1  # single node here; 3 with <SERVICE>_STREAM_REPLICAS=3
                await js.delete_stream(info.config.name)
        finally:
            await nc.close()

    async def test_fails_without_a_database(self, engines) -> None:
        variables = job_env("", engines.nats_url, "x.")
        variables.pop("DATABASE_URL")
        code, output = await run_job(variables)
        assert code != 0 and "no database URL" in output
