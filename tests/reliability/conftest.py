"""Reliability and security matrix (docs/reliability.md): shared fixtures.

``seed``: every randomised fault test takes its seed from ``RELIABILITY_SEED`` (replay) or draws one, and prints it
(pytest shows it with the failure). ``private_nats`` (tests/harness/private_nats.py) gives a test a NATS server of
its own to kill by PID; ``private_postgres`` the same for PostgreSQL (``pg_ctl stop -m immediate`` semantics).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from libs.devstack.ports import free_port
from libs.devstack.postgres import EmbeddedPostgres
from libs.kit.migrations import REPO_ROOT
from tests.harness import databases


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    value = int(os.environ.get("RELIABILITY_SEED") or random.SystemRandom().randrange(2**31))
    print(f"\n[{request.node.nodeid}] seed={value}  (replay: RELIABILITY_SEED={value})")
    request.node.user_properties.append(("seed", value))
    return value


@pytest.fixture
def private_postgres() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of the test's own (the session's is shared): stop it like a crash, start it again."""
    (REPO_ROOT / ".var").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="pg-", dir=REPO_ROOT / ".var"))
    server = EmbeddedPostgres(root, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def private_database(private_postgres: EmbeddedPostgres) -> str:
    """A migrated database (every service schema) on the private server; returns its URL."""
    async def create() -> str:
        return await databases.create_template(private_postgres.url)

    name = asyncio.run(create())
    url = private_postgres.url.rsplit("/", 1)[0] + "/" + name
    databases.migrate(url)
    return url
