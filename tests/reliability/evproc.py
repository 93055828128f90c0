"""``python -m tests.reliability.evproc``: the evtest service (outbox relay + inbox consumer) as a child process, so a
fault hook with the ``exit`` action (``EVENTS_FAULTS=after_commit_before_ack:exit:0.3``, ``EVENTS_FAULTS_SEED``)
really kills a process — ``os._exit``, no cleanup, no ack, no mark — and the test restarts it by PID.

Settings come from ``EVTEST_DATABASE_URL``, ``EVTEST_NATS_URL``, ``EVTEST_EVENTS_NAMESPACE`` and
``EVTEST_CONSUMER_ACK_WAIT_SECONDS``; ``EVPROC_RELAY=0`` / ``EVPROC_CONSUMER=0`` leave one of the two out.
"""

from __future__ import annotations

import asyncio
import os
import signal

from libs.events.consumer import ConsumerSpec
from libs.kit.runtime import ServiceRuntime
from tests.libs.events.conftest import apply_thing, tables


async def main() -> None:
    from libs.kit.settings import service_env_settings

    settings = service_env_settings("evtest").model_copy(update={
        "relay_poll_seconds": 0.2, "consumer_max_deliver": 50})
    specs = [ConsumerSpec(source="evtest", handlers={"alliance.evtest.thing.happened": apply_thing})]
    runtime = ServiceRuntime(settings=settings, tables=tables,
                             consumer_specs=specs if os.environ.get("EVPROC_CONSUMER", "1") == "1" else [])
    if os.environ.get("EVPROC_RELAY", "1") != "1":
        from libs.events.relay import OutboxRelay

        async def idle(self: OutboxRelay) -> None:
            await self._stopping.wait()

        OutboxRelay.run = idle  # type: ignore[method-assign]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await runtime.start()
    print("ready", flush=True)
    await stop.wait()
    await runtime.stop()


if __name__ == "__main__":
    asyncio.run(main())
