"""Where the CPU goes, measured: py-spy (``requirements/dev.txt``) attached to a service process for the length
of a load run (``python -m bench --profile``). Not used unless asked: sampling costs a little CPU itself.

The collapsed stacks are kept in the run folder; the results get a summary per process: the share of on-CPU
samples under each package / project module (inclusive: a stack counts once for every package on it) and the
hottest leaf functions (self).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def available() -> bool:
    return shutil.which("py-spy") is not None or (Path(__file__).resolve().parents[1] / ".venv/bin/py-spy").exists()


def _binary() -> str:
    local = Path(__file__).resolve().parents[1] / ".venv/bin/py-spy"
    return str(local) if local.exists() else "py-spy"


class Recorder:
    """``py-spy record`` on one PID (with its threads) into a collapsed-stack file, until stopped."""

    def __init__(self, pid: int, out: Path, rate: int = 97) -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.proc = subprocess.Popen([_binary(), "record", "--pid", str(pid), "--format", "raw", "--output", str(out),
                                      "--rate", str(rate), "--nonblocking", "--threads"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> dict[str, Any]:
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: py-spy writes the file and exits
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return summarize(self.out)


def _package(path: str) -> str:
    path = path.replace("\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for root in ("services/", "libs/", "bench/"):
        if root in path:
            parts = path[path.index(root):].split("/")
            return "/".join(parts[:3]) if root == "services/" else "/".join(parts[:2])
    if "/lib/python3" in path:
        rest = path.split("/lib/python3", 1)[1].split("/", 1)
        return "stdlib:" + (rest[1].split("/", 1)[0].removesuffix(".py") if len(rest) > 1 else "?")
    return path.rsplit("/", 1)[-1]


def summarize(path: Path, top: int = 15) -> dict[str, Any]:
    if not path.exists():
        return {"error": "no profile written"}
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [f for f in stack.split(";") if f]
        packages = set()
        for frame in frames:
            match = _FRAME.match(frame)
            if match:
                packages.add(_package(match.group("file")))
        for package in packages:
            inclusive[package] += count
        if frames:
            match = _FRAME.match(frames[-1])
            leaf = f"{match.group('func')} ({_package(match.group('file'))})" if match else frames[-1]
            leaves[leaf] += count
    if not total:
        return {"samples": 0}
    return {"samples": total, "file": str(path),
            "inclusive_pct": {k: round(100 * v / total, 1) for k, v in inclusive.most_common(25)},
            "self_pct": {k: round(100 * v / total, 1) for k, v in leaves.most_common(top)}}
