"""A 3-node NATS JetStream cluster on loopback, started from deploy/compose/nats.conf itself.

Only addresses and the store directory are rewritten (compose hostnames and fixed ports → 127.0.0.1 and free
ports); everything else — JetStream settings, ``sync_interval: always``, the cluster block — is the file's.
Each node is a child process stopped by its own PID.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from libs.devstack.nats import nats_server_binary
from libs.devstack.ports import free_port
from libs.kit.migrations import REPO_ROOT

COMPOSE_NATS_CONF = REPO_ROOT / "deploy" / "compose" / "nats.conf"


@dataclass
class Node:
    name: str
    client_port: int
    http_port: int
    route_port: int
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    def monitor(self, path: str) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=2) as response:
            return json.loads(response.read())

    def start(self, config: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "nats.conf"
        conf.write_text(config)
        log = open(self.data_dir / "nats.log", "ab")
        self.proc = subprocess.Popen([nats_server_binary(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "NATS_SERVER_NAME": self.name}, start_new_session=True)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(15)


@dataclass
class Cluster:
    root: Path
    nodes: list[Node] = field(default_factory=list)

    @property
    def urls(self) -> str:
        return ",".join(n.url for n in self.nodes)

    def config_for(self, node: Node) -> str:
        config = COMPOSE_NATS_CONF.read_text()
        config = config.replace("listen: 0.0.0.0:4222", f"listen: 127.0.0.1:{node.client_port}")
        config = config.replace("http: 0.0.0.0:8222", f"http: 127.0.0.1:{node.http_port}")
        config = config.replace("listen: 0.0.0.0:6222", f"listen: 127.0.0.1:{node.route_port}")
        config = config.replace("store_dir: /data/jetstream", f'store_dir: "{node.data_dir / "jetstream"}"')
        for other in self.nodes:
            config = config.replace(f"nats-route://{other.name}:6222", f"nats-route://127.0.0.1:{other.route_port}")
        assert not re.search(r"nats-\d:|0\.0\.0\.0|/data/", config), "the compose config changed shape"
        return config

    def start(self, timeout: float = 60.0) -> None:
        self.nodes = [Node(f"nats-{i}", free_port(), free_port(), free_port(), self.root / f"nats-{i}")
                      for i in (1, 2, 3)]
        for node in self.nodes:
            node.start(self.config_for(node))
        self.wait_ready(timeout)

    def restart(self, node: Node, timeout: float = 60.0) -> None:
        node.start(self.config_for(node))
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if all(self._ready(n) for n in self.nodes if n.proc and n.proc.poll() is None):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        logs = "\n".join((n.data_dir / "nats.log").read_text(errors="replace")[-2000:] for n in self.nodes)
        raise RuntimeError(f"JetStream cluster not ready after {timeout}s\n{logs}")

    @staticmethod
    def _ready(node: Node) -> bool:
        jsz = node.monitor("/jsz")
        return bool(jsz.get("meta_cluster", {}).get("leader")) and node.monitor(
            "/healthz?js-enabled-only=true").get("status") == "ok"

    def node_named(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()
