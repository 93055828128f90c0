"""Services as real uvicorn processes (like ``make run`` starts them), their readiness, and RSS sampling.

Each process is started in its own session and stopped by its PID (SIGTERM, then SIGKILL after a grace
period) — never by name. ``RssSampler`` polls psutil for the resident set size of every running service
(process and children) in a background thread; scenarios mark phases ("idle", "load") so the results can say
what each service used while idle and the peak under load.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from libs.devstack.ports import free_port
from libs.kit.migrations import REPO_ROOT

MB = 1024 * 1024


@dataclass
class ServiceProcess:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss(self) -> int:
        """Resident set size of the process and its children (bytes); 0 once it has exited."""
        try:
            parent = psutil.Process(self.proc.pid)
            total = parent.memory_info().rss
            for child in parent.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            return total
        except psutil.Error:
            return 0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def spawn(name: str, factory: str, env: dict[str, str], log_dir: Path, *, port: int | None = None,
          python: str = sys.executable) -> ServiceProcess:
    """``python -m uvicorn --factory <factory>`` on a free loopback port, flags as ``libs.devstack`` uses."""
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    full_env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "NATS_URL"))},
                **env, "PYTHONPATH": str(REPO_ROOT)}
    cmd = [python, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
           "--no-access-log", "--log-level", "warning"]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, env=full_env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return ServiceProcess(name, port, proc, log_path)


def wait_ready(services: list[ServiceProcess], *, timeout: float = 90.0, path: str = "/ready") -> float:
    """Poll each service's readiness; returns the seconds it took. Raises with the log tail on failure."""
    started = time.monotonic()
    pending = {s.name: s for s in services}
    with httpx.Client(timeout=2.0) as client:
        while pending:
            for name, service in list(pending.items()):
                if not service.alive():
                    raise RuntimeError(f"{name} exited with {service.proc.returncode}:\n{service.log_tail()}")
                try:
                    if client.get(service.url + path).status_code == 200:
                        pending.pop(name)
                except httpx.HTTPError:
                    pass
            if time.monotonic() - started > timeout:
                tails = "\n".join(f"--- {n}\n{s.log_tail()}" for n, s in pending.items())
                raise RuntimeError(f"not ready after {timeout}s: {', '.join(pending)}\n{tails}")
            if pending:
                time.sleep(0.1)
    return time.monotonic() - started


def stop_all(services: list[ServiceProcess]) -> None:
    for service in reversed(services):
        if service.alive():
            service.proc.send_signal(signal.SIGTERM)
    for service in reversed(services):
        service.stop()


@dataclass
class RssSampler:
    """Samples every registered service's RSS every ``interval`` seconds, tagged with the current phase."""

    interval: float = 0.25
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    samples: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    phase: str = "start"
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def watch(self, *services: ServiceProcess) -> None:
        with self._lock:
            for service in services:
                self.services[f"{service.name}:{service.pid}"] = service

    def forget(self, *services: ServiceProcess) -> None:
        with self._lock:
            for service in services:
                self.services.pop(f"{service.name}:{service.pid}", None)

    @contextmanager
    def during(self, phase: str) -> Any:
        previous, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = previous

    def sample_now(self) -> None:
        with self._lock:
            items = list(self.services.values())
        phase = self.phase
        for service in items:
            rss = service.rss()
            if rss:
                self.samples[(service.name, phase)].append(rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample_now()
            self._stop.wait(self.interval)

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per service: idle (median of "idle" samples, MB) and peak under load (max of "load:*" samples, MB)."""
        out: dict[str, dict[str, Any]] = {}
        for (name, phase), values in self.samples.items():
            entry = out.setdefault(name, {"idle_mb": None, "load_peak_mb": None, "phases": {}})
            entry["phases"][phase] = {"samples": len(values), "max_mb": round(max(values) / MB, 1),
                                      "median_mb": round(sorted(values)[len(values) // 2] / MB, 1)}
        for entry in out.values():
            idle = entry["phases"].get("idle")
            entry["idle_mb"] = idle["median_mb"] if idle else None
            loads = [p["max_mb"] for ph, p in entry["phases"].items() if ph.startswith("load")]
            entry["load_peak_mb"] = max(loads) if loads else None
        return out
