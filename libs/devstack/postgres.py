"""Embedded PostgreSQL from the `pgserver` wheel's binaries.

We run ``postgres`` ourselves (not ``pg_ctl start``) so it is our direct child: we know its PID, can stop
it cleanly (SIGINT = fast shutdown) or like a crash (SIGQUIT = ``pg_ctl stop -m immediate``), and it never
outlives the supervisor by accident. PostgreSQL refuses to run as root, so under root it runs as the
unprivileged ``pgserver`` system user, as the wheel itself does.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

log = logging.getLogger("devstack.postgres")


class EngineStartError(RuntimeError):
    """An embedded server could not start; the message says why and where its log is."""


def _bin_dir() -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH  # imported lazily: only the embedded mode needs it

    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.port = port
        self.log_path = self.data_dir / "postgres.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._user: str | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_user()
        self._stop_stale()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        sock_dir = self.data_dir / "sock"
        sock_dir.mkdir(exist_ok=True)
        self._chown(sock_dir)
        args = [str(_bin_dir() / "postgres"), "-D", str(self.pgdata), "-p", str(self.port),
                "-h", "127.0.0.1", "-k", str(sock_dir),
                "-c", "max_connections=300", "-c", "shared_buffers=256MB",
                "-c", "fsync=on", "-c", "synchronous_commit=on"]
        logf = open(self.log_path, "ab")
        self._chown(self.log_path)
        self.proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, user=self._user,
                                     start_new_session=True)
        self._wait_ready(timeout)

    def _prepare_user(self) -> None:
        if os.geteuid() != 0:
            return
        import stat

        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        self._user = "pgserver"
        ensure_user_exists(self._user)
        ensure_prefix_permissions(self.data_dir)
        perms = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(_bin_dir(), perms)
        ensure_folder_permissions(_bin_dir().parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        self._chown(self.data_dir)

    def _chown(self, path: Path) -> None:
        if self._user:
            shutil.chown(path, self._user, self._user)

    def _initdb(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._chown(self.pgdata)
        os.chmod(self.pgdata, 0o700)
        cmd = [str(_bin_dir() / "initdb"), "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8",
               "--locale=C", "-U", "postgres"]
        result = subprocess.run(cmd, capture_output=True, text=True, user=self._user)
        if result.returncode != 0:
            raise EngineStartError(f"initdb failed: {result.stderr.strip()}")

    def _stop_stale(self) -> None:
        """A postmaster left running from a killed supervisor holds the data dir: stop it by its PID."""
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            os.kill(pid, signal.SIGINT)
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and pidfile.exists():
            time.sleep(0.1)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        isready = [str(_bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise EngineStartError(f"postgres exited with {self.proc.returncode}; log: {self.log_path}\n"
                                       + self._log_tail())
            if subprocess.run(isready, capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise EngineStartError(f"postgres not ready after {timeout}s; log: {self.log_path}\n" + self._log_tail())

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def stop(self, *, immediate: bool = False, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT), or like ``pg_ctl stop -m immediate`` (SIGQUIT) to simulate a crash."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT if immediate else signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
