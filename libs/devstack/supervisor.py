"""`make run`: engines (embedded unless told otherwise), migrations, every service and the gateway.

Each service and the gateway is its own process (uvicorn), started and stopped by PID. Ctrl-C (SIGINT)
or SIGTERM stops the children in reverse order, then the embedded engines; nothing is left behind and
no pid file is written. A second run reuses the data under ``.var/run``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from libs.devstack.nats import EmbeddedNats
from libs.devstack.ports import port_open
from libs.devstack.postgres import EmbeddedPostgres, EngineStartError
from libs.kit.migrations import REPO_ROOT, SERVICES_WITH_DB, upgrade

log = logging.getLogger("devstack")

SERVICE_PORTS = {"registry": 8101, "points": 8102, "referral": 8103, "evaluation": 8104}


@dataclass
class Stack:
    data_dir: Path
    gateway_port: int = int(os.environ.get("GATEWAY_PORT", "8000"))
    pg_port: int = int(os.environ.get("ALLIANCE_PG_PORT", "55432"))
    nats_port: int = int(os.environ.get("ALLIANCE_NATS_PORT", "54222"))
    nats_http_port: int = int(os.environ.get("ALLIANCE_NATS_HTTP_PORT", "58222"))
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    # ---- engines -----------------------------------------------------------------------------
    def database_url(self, service: str) -> str:
        return os.environ.get(f"{service.upper()}_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""

    def nats_url(self, service: str) -> str:
        return os.environ.get(f"{service.upper()}_NATS_URL") or os.environ.get("NATS_URL") or ""

    def start_engines(self) -> None:
        needs_pg = any(not self.database_url(s) for s in SERVICES_WITH_DB)
        needs_nats = any(not self.nats_url(s) for s in SERVICES_WITH_DB)
        if needs_pg:
            _require_free(self.pg_port, "ALLIANCE_PG_PORT", "PostgreSQL")
            self.postgres = EmbeddedPostgres(self.data_dir / "pg", self.pg_port)
            self.postgres.start()
            asyncio.run(_ensure_database(self.postgres.url, "alliance"))
            print(f"  postgres   embedded  127.0.0.1:{self.pg_port}  pid {self.postgres.pid}", flush=True)
        if needs_nats:
            _require_free(self.nats_port, "ALLIANCE_NATS_PORT", "NATS")
            self.nats = EmbeddedNats(self.data_dir / "nats", self.nats_port, self.nats_http_port)
            self.nats.start()
            print(f"  nats       embedded  127.0.0.1:{self.nats_port}  pid {self.nats.pid}", flush=True)

    def resolved_db(self, service: str) -> str:
        if self.database_url(service):
            return self.database_url(service)
        assert self.postgres is not None
        return _with_db(self.postgres.url, "alliance")

    def resolved_nats(self, service: str) -> str:
        if self.nats_url(service):
            return self.nats_url(service)
        assert self.nats is not None
        return self.nats.url

    # ---- services ----------------------------------------------------------------------------
    def migrate(self) -> None:
        for service in SERVICES_WITH_DB:
            upgrade(service, self.resolved_db(service))
        print("  migrations applied: " + ", ".join(SERVICES_WITH_DB), flush=True)

    def start_services(self) -> None:
        for service, port in SERVICE_PORTS.items():
            env = {f"{service.upper()}_DATABASE_URL": self.resolved_db(service),
                   f"{service.upper()}_NATS_URL": self.resolved_nats(service)}
            self._spawn(service, f"services.{service}.app:create_app", port, env)
        gateway_env = {f"GATEWAY_{s.upper()}_URL": f"http://127.0.0.1:{p}" for s, p in SERVICE_PORTS.items()}
        gateway_env["GATEWAY_DATABASE_URL"] = self.resolved_db("gateway")
        self._spawn("gateway", "services.gateway.app:create_app", self.gateway_port, gateway_env)

    def _spawn(self, name: str, factory: str, port: int, extra_env: dict[str, str]) -> None:
        _require_free(port, f"{name.upper()}_PORT", name)
        env = {**os.environ, **extra_env, "PYTHONPATH": str(REPO_ROOT)}
        cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
               "--no-access-log", "--log-level", "warning"]
        proc = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT, start_new_session=True)
        self.children.append((name, proc))

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        targets = {**{s: p for s, p in SERVICE_PORTS.items()}, "gateway": self.gateway_port}
        pending = dict(targets)
        while pending and time.monotonic() < deadline:
            for name, port in list(pending.items()):
                self._check_alive()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1.0).status_code == 200:
                        pending.pop(name)
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        if pending:
            raise EngineStartError(f"not ready after {timeout}s: {', '.join(pending)}")

    def _check_alive(self) -> None:
        for name, proc in self.children:
            if proc.poll() is not None:
                raise EngineStartError(f"{name} exited with code {proc.returncode}")

    def stop(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _name, proc in reversed(self.children):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.children.clear()
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()


def _require_free(port: int, env_name: str, what: str) -> None:
    if port_open(port):
        raise EngineStartError(f"port {port} for {what} is already in use; set {env_name} to another port")


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def _ensure_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def run(data_dir: Path) -> int:
    stack = Stack(data_dir=data_dir)
    stopping = {"flag": False}

    def on_signal(signum: int, frame: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        print("Starting the alliance platform…", flush=True)
        stack.start_engines()
        stack.migrate()
        stack.start_services()
        stack.wait_ready()
        print(f"\nReady in {time.monotonic() - started:.1f}s — gateway: http://127.0.0.1:{stack.gateway_port}"
              f"  (docs: http://127.0.0.1:{stack.gateway_port}/docs)\nPress Ctrl-C to stop.", flush=True)
        while not stopping["flag"]:
            stack._check_alive()
            time.sleep(0.3)
        return 0
    except EngineStartError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("\nStopping…", flush=True)
        stack.stop()
        print("Stopped.", flush=True)
