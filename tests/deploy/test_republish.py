"""Re-publishing after a JetStream loss (reliability matrix rows 2c and 4): the outbox sends everything again with
``python -m libs.events.republish``, the consumers' durable subscriptions are provisioned again, and the inboxes
absorb what was already applied — every effect stays exactly once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

from libs.events.consumer import Outcome
from libs.events.streams import stream_name
from libs.kit.migrations import REPO_ROOT
from libs.kit.runtime import ServiceRuntime
from tests.deploy.replicas import count, create_evtest_schema, effect_amounts, emit, replica, started, unpublished
from tests.harness.waiting import eventually
from tests.libs.events.conftest import tables

if TYPE_CHECKING:
    from tests.harness.services import TestEnv


def republish_cli(env: TestEnv, *args: str, nats_url: str | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "NATS_URL"))}
    variables = {**clean, "PYTHONPATH": str(REPO_ROOT), "EVTEST_DATABASE_URL": env.database_url,
                 "EVTEST_NATS_URL": nats_url or env.nats_url, "EVTEST_EVENTS_NAMESPACE": env.namespace}
    return subprocess.run([sys.executable, "-m", "libs.events.republish", "--service", "evtest", *args],
                          env=variables, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)


async def stream_messages(runtime: ServiceRuntime) -> int:
    assert runtime.js is not None
    try:
        info = await runtime.js.stream_info(stream_name(runtime.settings.events_namespace, "evtest"))
    except Exception:
        return -1
    return int(info.state.messages)


async def duplicates(runtime: ServiceRuntime) -> int:
    return runtime.consumers[0].counts[Outcome.DUPLICATE]


class TestRepublishAfterStreamLoss:
    async def test_deleted_stream_is_refilled_and_effects_are_unchanged(self, env: TestEnv) -> None:
        await create_evtest_schema(env)
        async with started(replica(env)) as (runtime,):
            await emit(runtime, *range(25))
            await eventually(lambda: effect_amounts(runtime), until=lambda rows: len(rows) == 25, what="25 effects")
            await eventually(lambda: unpublished(runtime), until=lambda n: n == 0, what="all published")
            assert runtime.js is not None
            await runtime.js.delete_stream(stream_name(env.namespace, "evtest"))  # JetStream lost it all

            dry = republish_cli(env, "--from-position", "1", "--dry-run")
            assert dry.returncode == 0 and "25 outbox rows" in dry.stdout, dry.stderr
            assert await unpublished(runtime) == 0  # a dry run changes nothing
            done = republish_cli(env, "--from-position", "1")
            assert done.returncode == 0, done.stderr
            assert "25 outbox rows" in done.stdout

            await eventually(lambda: stream_messages(runtime), until=lambda n: n == 25, what="stream refilled")
            await eventually(lambda: duplicates(runtime), until=lambda n: n >= 25, what="replay absorbed")
            assert await effect_amounts(runtime) == list(range(25))  # unchanged: nothing applied twice
            assert await count(runtime, tables.inbox) == 25
            await emit(runtime, 25)  # and the pipeline keeps flowing
            await eventually(lambda: effect_amounts(runtime), until=lambda rows: rows == list(range(26)))

    async def test_partial_range_resent_within_the_duplicate_window_is_dropped(self, env: TestEnv) -> None:
        await create_evtest_schema(env)
        async with started(replica(env)) as (runtime,):
            await emit(runtime, *range(10))
            await eventually(lambda: unpublished(runtime), until=lambda n: n == 0, what="all published")
            done = republish_cli(env, "--from-position", "4", "--to-position", "6")
            assert done.returncode == 0 and "3 outbox rows" in done.stdout, done.stderr
            await eventually(lambda: unpublished(runtime), until=lambda n: n == 0, what="sent again")
            # Within JetStream's duplicate window the same Nats-Msg-Id is dropped by the server itself.
            assert await stream_messages(runtime) == 10
            assert await effect_amounts(runtime) == list(range(10))

    def test_bad_range_is_refused(self, env: TestEnv) -> None:
        refused = republish_cli(env, "--from-position", "5", "--to-position", "2")
        assert refused.returncode == 2 and "--from-position" in refused.stderr


class TestJetStreamStoreWiped:
    async def test_server_restarted_with_an_empty_store_then_republished(self, env: TestEnv, private_nats) -> None:
        """Row 2(c): kill -9 the server, delete its store directory, restart it, re-publish from the outbox."""
        await create_evtest_schema(env)
        async with started(replica(env, nats_url=private_nats.url)) as (runtime,):
            await emit(runtime, *range(15))
            await eventually(lambda: effect_amounts(runtime), until=lambda rows: len(rows) == 15, what="15 effects")
            await eventually(lambda: unpublished(runtime), until=lambda n: n == 0, what="all published")
            private_nats.stop(kill=True)
            shutil.rmtree(private_nats.store_dir)
            private_nats.start()
            await emit(runtime, 15, 16)  # written after the loss: published once the stream exists again
            done = republish_cli(env, "--from-position", "1", nats_url=private_nats.url)
            assert done.returncode == 0, done.stderr
            await eventually(lambda: effect_amounts(runtime), until=lambda rows: len(rows) >= 17, timeout=60,
                             what="17 effects")
            await eventually(lambda: stream_messages(runtime), until=lambda n: n == 17, timeout=60,
                             what="stream rebuilt from the outbox")
            await eventually(lambda: duplicates(runtime), until=lambda n: n >= 15, what="replay absorbed")
            assert await effect_amounts(runtime) == list(range(17))
