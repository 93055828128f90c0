"""A NATS server of the test's own, for fault tests that stop and restart it by PID (in any mode)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from libs.devstack.nats import EmbeddedNats
from libs.devstack.ports import free_port


@pytest.fixture
def private_nats() -> Iterator[EmbeddedNats]:
    root = Path(__file__).resolve().parents[2] / ".var"
    root.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="nats-", dir=root))
    server = EmbeddedNats(tmp, free_port(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop(kill=True)
        shutil.rmtree(tmp, ignore_errors=True)
