"""Cold ``make run`` with dependencies installed → gateway ready.

Runs what ``make run`` runs (``python -m libs.devstack run``) with a fresh, empty data folder, so it includes
``initdb`` of the embedded PostgreSQL, starting JetStream, every migration, the four services and the gateway,
and measures from spawn until the gateway's ``/ready`` answers 200 (it checks every service's readiness). Then
stops it with SIGINT (by PID) as Ctrl-C would, and starts it once more on the same data (warm start).

``libs.devstack`` binds the services to the fixed ports 8101–8104 (and the gateway to ``GATEWAY_PORT``), so the
scenario is skipped, saying why, when one of them is taken (e.g. by a developer's own ``make run``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.context import Ctx, ScenarioResult, declare
from bench.stats import Measurement
from libs.devstack.ports import free_port, port_open
from libs.devstack.supervisor import SERVICE_PORTS
from libs.kit.migrations import REPO_ROOT

TARGETS = (
    ("≤ 15 s", "cold_start_seconds", "<=", 15.0, "value"),
)
NAME = "cold_start"


async def run(ctx: Ctx) -> ScenarioResult:
    result = ScenarioResult(NAME, "Cold `make run` → gateway ready")
    busy = [p for p in SERVICE_PORTS.values() if port_open(p)]
    if busy:
        result.status = "skipped"
        result.notes.append(f"ports {busy} are in use (libs.devstack binds services to fixed ports 8101–8104)")
        declare(result, TARGETS)
        return result
    data = Path(tempfile.mkdtemp(prefix="coldstart-", dir=ctx.work_dir))
    try:
        cold = await asyncio.to_thread(_start_once, data, ctx.work_dir / "logs" / "coldstart-1.log")
        warm = await asyncio.to_thread(_start_once, data, ctx.work_dir / "logs" / "coldstart-2.log")
    finally:
        shutil.rmtree(data, ignore_errors=True)
    result.add(Measurement("cold_start_seconds", cold, "s", detail={"data": "fresh (initdb + migrations)"}))
    result.add(Measurement("warm_start_seconds", warm, "s", detail={"data": "reused"}))
    declare(result, TARGETS)
    return result


def _start_once(data: Path, log_path: Path, timeout: float = 180.0) -> float:
    gateway = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "NATS_URL"))}
    env.update({"PYTHONPATH": str(REPO_ROOT), "GATEWAY_PORT": str(gateway), "ALLIANCE_PG_PORT": str(free_port()),
                "ALLIANCE_NATS_PORT": str(free_port()), "ALLIANCE_NATS_HTTP_PORT": str(free_port())})
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "libs.devstack", "run", "--data", str(data)], cwd=REPO_ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with httpx.Client(timeout=1.0) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"make run exited with {proc.returncode}; log: {log_path}")
                try:
                    if client.get(f"http://127.0.0.1:{gateway}/ready").status_code == 200:
                        return time.perf_counter() - started
                except httpx.HTTPError:
                    pass
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"gateway not ready after {timeout}s; log: {log_path}")
                time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
