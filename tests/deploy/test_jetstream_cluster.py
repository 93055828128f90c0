"""The compose JetStream cluster for real: three nats-server processes on loopback started from
deploy/compose/nats.conf, streams provisioned with 3 replicas by the migration job's code, a service replica
publishing and consuming through it, and the stream leader killed (kill -9 by PID) mid-stream.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from libs.events.streams import stream_name
from libs.kit.migrate import provision_stream
from libs.kit.migrations import REPO_ROOT
from libs.kit.settings import ServiceSettings
from tests.deploy.cluster import Cluster
from tests.deploy.replicas import create_evtest_schema, effect_amounts, emit, replica, started, unpublished
from tests.harness.waiting import eventually

if TYPE_CHECKING:
    from tests.harness.services import TestEnv


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    (REPO_ROOT / ".var").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="jetstream-cluster-", dir=REPO_ROOT / ".var"))
    running = Cluster(root)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(root, ignore_errors=True)


class TestJetStreamCluster:
    def test_running_servers_fsync_every_write(self, cluster: Cluster) -> None:
        """Reliability matrix row 2(a), asked of the running servers, not of the file."""
        for node in cluster.nodes:
            assert node.monitor("/varz")["jetstream"]["config"]["sync_always"] is True
            assert node.monitor("/jsz")["meta_cluster"]["cluster_size"] == 3

    async def test_r3_streams_survive_the_stream_leader_being_killed(self, env: TestEnv, cluster: Cluster) -> None:
        await provision_stream(ServiceSettings(service_name="evtest", nats_url=cluster.urls, stream_replicas=3,
                                               events_namespace=env.namespace))
        await create_evtest_schema(env)
        async with started(replica(env, nats_url=cluster.urls, stream_replicas=3)) as (runtime,):
            assert runtime.js is not None
            info = await runtime.js.stream_info(stream_name(env.namespace, "evtest"))
            assert info.config.num_replicas == 3
            assert info.cluster is not None and len(info.cluster.replicas or []) == 2

            await emit(runtime, *range(20))
            await eventually(lambda: effect_amounts(runtime), until=lambda rows: len(rows) == 20, what="20 effects")
            cluster.node_named(info.cluster.leader).kill()  # the stream's leader dies mid-stream
            await emit(runtime, *range(20, 40))
            await eventually(lambda: effect_amounts(runtime), until=lambda rows: len(rows) >= 40, timeout=90,
                             what="40 effects with one node down")
            await eventually(lambda: unpublished(runtime), until=lambda n: n == 0, timeout=60, what="drained")
            await asyncio.sleep(0.5)
            assert await effect_amounts(runtime) == list(range(40))  # acknowledged once, applied once
            after = await runtime.js.stream_info(stream_name(env.namespace, "evtest"))
            assert after.state.messages == 40
            assert after.cluster is not None and after.cluster.leader != info.cluster.leader
