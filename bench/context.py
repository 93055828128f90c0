"""What every scenario gets (``Ctx``) and gives back (``ScenarioResult``)."""

from __future__ import annotations

import sys
import uuid
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.config import Scale
from bench.data import load_directory
from bench.engines import Engines
from bench.ledger import LedgerCache
from bench.procs import RssSampler, ServiceProcess, spawn, stop_all, wait_ready
from bench.stats import Measurement, Target

INTERNAL_KEY_ENV = "INTERNAL_AUTH_KEY"


@dataclass
class ScenarioResult:
    name: str
    title: str
    status: str = "ok"  # ok | error | skipped
    measurements: dict[str, Measurement] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def add(self, measurement: Measurement) -> Measurement:
        self.measurements[measurement.name] = measurement
        return measurement

    def target(self, text: str, measurement: str, op: str, threshold: float, *, on: str = "value") -> Target:
        made = Target(self.name, text, measurement, op, threshold, on=on)
        self.targets.append(made)
        return made

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "status": self.status, "seconds": round(self.seconds, 1), "error": self.error,
                "measurements": {k: m.to_json() for k, m in self.measurements.items()},
                "targets": [t.to_json() for t in self.targets], "notes": self.notes, "detail": self.detail}


@dataclass
class Ctx:
    engines: Engines
    scale: Scale
    seed: int
    template: str
    work_dir: Path  # logs and files of this run
    cache_dir: Path  # the cached ledger's record and export (bench/cache)
    sampler: RssSampler
    baselines: dict[str, Measurement] = field(default_factory=dict)
    ledger: LedgerCache | None = None
    ledger_target: int = 0
    export_path: Path | None = None
    public_key_path: Path | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    profile: bool = False  # py-spy on the service processes during the load runs (``--profile``)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)

    @contextmanager
    def profiling(self, label: str, pids: dict[str, int]) -> Any:
        """With ``--profile``: py-spy on ``pids`` for the duration of the block; summaries in ``profiles``."""
        if not self.profile:
            yield
            return
        from bench.profile import Recorder

        recorders = {name: Recorder(pid, self.work_dir / "profiles" / f"{label}-{name}.txt")
                     for name, pid in pids.items()}
        try:
            yield
        finally:
            for name, recorder in recorders.items():
                self.profiles.setdefault(label, {})[name] = recorder.stop()

    def log(self, message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    def namespace(self) -> str:
        return f"b{uuid.uuid4().hex[:8]}."

    @asynccontextmanager
    async def fresh_database(self, *, directory: bool = True) -> Any:
        """A database cloned from the migrated template (with the generated directory), dropped afterwards."""
        name = f"bench_run_{uuid.uuid4().hex[:10]}"
        await self.engines.create(name, self.template)
        url = self.engines.database_url(name)
        try:
            if directory:
                conn = await asyncpg.connect(url)
                try:
                    await load_directory(conn, self.scale)
                finally:
                    await conn.close()
            yield url
        finally:
            await self.engines.drop(name)

    def service_env(self, database_url: str, namespace: str, upstreams: dict[str, str] | None = None,
                    **extra: str) -> dict[str, str]:
        env: dict[str, str] = {}
        for service in ("registry", "points", "referral", "evaluation"):
            prefix = service.upper()
            env.update({f"{prefix}_DATABASE_URL": database_url, f"{prefix}_NATS_URL": self.engines.nats_url,
                        f"{prefix}_EVENTS_NAMESPACE": namespace, f"{prefix}_ENVIRONMENT": "local",
                        f"{prefix}_LOG_LEVEL": "WARNING"})
        env.update({"GATEWAY_DATABASE_URL": database_url, "GATEWAY_ENVIRONMENT": "local",
                    "GATEWAY_LOG_LEVEL": "WARNING",
                    # The per-client rate limit is policy, not capacity: lifted so it does not cap the load.
                    "GATEWAY_RATE_LIMIT_PER_SECOND": "1000000", "GATEWAY_RATE_LIMIT_BURST": "1000000"})
        for name, url in (upstreams or {}).items():
            env[f"GATEWAY_{name.upper()}_URL"] = url
        env.update(extra)
        return env

    def start(self, name: str, database_url: str, namespace: str, *, upstreams: dict[str, str] | None = None,
              **extra: str) -> ServiceProcess:
        factory = "bench.bare_app:create_app" if name == "bare" else f"services.{name}.app:create_app"
        process = spawn(name, factory, self.service_env(database_url, namespace, upstreams, **extra),
                        self.work_dir / "logs")
        self.sampler.watch(process)
        return process

    def ready(self, *processes: ServiceProcess, timeout: float = 120.0) -> float:
        return wait_ready(list(processes), timeout=timeout)

    def stop(self, *processes: ServiceProcess) -> None:
        self.sampler.forget(*processes)
        stop_all(list(processes))


SERVICES = ("registry", "points", "referral", "evaluation")


def declare(result: ScenarioResult, targets: tuple[tuple[str, str, str, float, str], ...]) -> None:
    """Attach a scenario's targets (its module's ``TARGETS``) to its result."""
    for text, measurement, op, threshold, on in targets:
        result.target(text, measurement, op, threshold, on=on)


async def load_stack(ctx: Ctx) -> dict[str, ServiceProcess]:
    """Every service and the gateway as uvicorn processes on one fresh database (with the generated directory),
    started once per run and shared by the load scenarios; the first start also records the idle RSS."""
    import asyncio

    stack = ctx.shared.get("stack")
    if stack is not None:
        return dict(stack)
    manager = ctx.fresh_database()
    url = await manager.__aenter__()
    ctx.shared["stack_db"] = (manager, url)
    namespace = ctx.namespace()
    services = {name: ctx.start(name, url, namespace) for name in SERVICES}
    await asyncio.to_thread(ctx.ready, *services.values())
    gateway = ctx.start("gateway", url, namespace, upstreams={n: s.url for n, s in services.items()})
    await asyncio.to_thread(ctx.ready, gateway)
    services["gateway"] = gateway
    ctx.shared["stack"] = services
    ctx.shared["stack_namespace"] = namespace
    ctx.shared["stack_url"] = url
    await idle_rss(ctx)
    return dict(services)


async def idle_rss(ctx: Ctx, settle: float = 5.0, sample: float = 5.0) -> None:
    """Let the just-started services settle, then sample them as "idle"."""
    import asyncio

    await asyncio.sleep(settle)
    with ctx.sampler.during("idle"):
        ctx.sampler.sample_now()
        await asyncio.sleep(sample)
        ctx.sampler.sample_now()


async def close_shared(ctx: Ctx) -> None:
    stack = ctx.shared.pop("stack", None)
    if stack:
        ctx.stop(*stack.values())
    ledger_points = ctx.shared.pop("ledger_points", None)
    if ledger_points:
        ctx.stop(ledger_points)
    db = ctx.shared.pop("stack_db", None)
    if db:
        await db[0].__aexit__(None, None, None)


def gateway_token(principal: Any) -> str:
    from datetime import timedelta

    from libs.kit.clock import SystemClock
    from services.gateway.auth.issuer import TokenIssuer
    from services.gateway.settings import GatewaySettings

    return TokenIssuer(GatewaySettings(environment="local"), SystemClock()).mint(principal, ttl=timedelta(hours=6))


async def ledger_points(ctx: Ctx) -> ServiceProcess:
    """The points service (uvicorn) on the cached big ledger, shared by the read scenarios and the year close."""
    import asyncio

    found = ctx.shared.get("ledger_points")
    if found is not None:
        return found
    assert ctx.ledger is not None, "the cached ledger is built before the read scenarios"
    url = ctx.engines.database_url(ctx.ledger.database)
    process = ctx.start("points", url, ctx.namespace())
    await asyncio.to_thread(ctx.ready, process)
    ctx.shared["ledger_points"] = process
    await idle_rss(ctx, settle=3.0, sample=3.0)
    return process
