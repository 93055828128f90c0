"""What the figures were measured on: cores, RAM, CPU, Python, PostgreSQL and NATS versions, and how busy the
machine was (load average, other test runs) — these 2-core machines are shared, so it is part of every result."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nats_version() -> str:
    from libs.devstack.nats import nats_server_binary

    try:
        out = subprocess.run([nats_server_binary(), "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or out.stderr.strip()
    except Exception as exc:  # informational only
        return f"unknown ({type(exc).__name__})"


def other_test_runs() -> list[str]:
    """Command lines of pytest processes not belonging to this process tree (other engineers' suites)."""
    mine = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
        except psutil.Error:
            continue
        if "pytest" in cmdline and proc.info["pid"] not in mine and "bench" not in cmdline:
            found.append(cmdline[:160])
    return found


def load_snapshot() -> dict[str, Any]:
    one, five, fifteen = os.getloadavg()
    return {"loadavg_1m": round(one, 2), "loadavg_5m": round(five, 2), "loadavg_15m": round(fifteen, 2),
            "cpu_percent": psutil.cpu_percent(interval=0.5), "other_pytest_processes": len(other_test_runs())}


def machine_info(postgres_version: str) -> dict[str, Any]:
    memory = psutil.virtual_memory()
    return {"logical_cores": os.cpu_count(), "physical_cores": psutil.cpu_count(logical=False),
            "cpu_model": cpu_model(), "ram_gb": round(memory.total / 1024**3, 1), "platform": platform.platform(),
            "python": sys.version.split()[0], "postgres": postgres_version, "nats": nats_version(),
            "disk_free_gb": round(psutil.disk_usage(str(Path(__file__).parent)).free / 1024**3, 1)}
