"""A loopback TCP fault proxy, Toxiproxy-style, in-process on asyncio (reliability matrix: faults "on the wire").

Put it between any client and server on 127.0.0.1 — the gateway and a service, a service and ``nats-server`` —
and change the wire while traffic flows:

- ``latency(seconds, jitter=0, direction="both")``: every chunk is held back before it is forwarded;
- ``drop(probability)``: a new connection is reset at once with that probability (seeded);
- ``reset_after(n, direction="downstream")``: a connection is reset (TCP RST) once ``n`` bytes went that way;
- ``blackhole(direction="both")``: bytes are read and thrown away, the connection stays open (a partition);
- ``cut()``: reset every open connection now (clients see ECONNRESET and reconnect);
- ``disable()`` / ``enable()``: refuse new connections (connection refused) and cut the open ones / accept again;
- ``clear()``: remove every toxic.

``downstream`` is server → client, ``upstream`` client → server. Randomness comes from ``random.Random(seed)``;
the seed is kept on the proxy (``proxy.seed``) so a failing test can print it and be replayed. The proxy is a
task of the test's event loop; nothing is a separate process, so there is nothing to kill but the test itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from libs.devstack.ports import free_port

Direction = Literal["upstream", "downstream", "both"]
CHUNK = 65536


@dataclass
class Toxics:
    latency: float = 0.0
    jitter: float = 0.0
    latency_direction: Direction = "both"
    drop_probability: float = 0.0
    reset_after: int | None = None
    reset_direction: Direction = "downstream"
    blackhole: Direction | None = None


@dataclass
class ProxyStats:
    connections: int = 0
    dropped: int = 0
    resets: int = 0
    bytes_upstream: int = 0
    bytes_downstream: int = 0
    delayed_chunks: int = 0
    blackholed_bytes: int = 0


@dataclass(eq=False)
class _Conn:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    sent: dict[str, int] = field(default_factory=lambda: {"upstream": 0, "downstream": 0})
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    closed: bool = False


def _applies(setting: Direction | None, direction: str) -> bool:
    return setting is not None and setting in ("both", direction)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), not a FIN: the peer sees a connection reset."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1", port: int | None = None,
                 seed: int | None = None) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.port = port or free_port()
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self.random = random.Random(self.seed)
        self.toxics = Toxics()
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None
        self._conns: set[_Conn] = set()

    # ---- addresses -------------------------------------------------------------------------
    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, scheme: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        return self

    async def stop(self) -> None:
        await self.disable()

    async def disable(self) -> None:
        """Connection refused from now on; open connections are reset."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        self.cut()

    async def enable(self) -> None:
        if self._server is None:
            await self.start()

    # ---- toxics ----------------------------------------------------------------------------
    def latency(self, seconds: float, *, jitter: float = 0.0, direction: Direction = "both") -> None:
        self.toxics.latency, self.toxics.jitter, self.toxics.latency_direction = seconds, jitter, direction

    def drop(self, probability: float) -> None:
        self.toxics.drop_probability = probability

    def reset_after(self, n_bytes: int, *, direction: Direction = "downstream") -> None:
        self.toxics.reset_after, self.toxics.reset_direction = n_bytes, direction

    def blackhole(self, direction: Direction = "both") -> None:
        self.toxics.blackhole = direction

    def clear(self) -> None:
        self.toxics = Toxics()

    def cut(self) -> None:
        """Reset every open connection now."""
        for conn in list(self._conns):
            self._reset(conn)

    @property
    def open_connections(self) -> int:
        return len(self._conns)

    # ---- the pumps -------------------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        if self.toxics.drop_probability and self.random.random() < self.toxics.drop_probability:
            self.stats.dropped += 1
            _abort(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            _abort(writer)  # upstream down: the client sees a reset, as through a real middlebox
            return
        conn = _Conn(client=writer, server=up_writer)
        self._conns.add(conn)
        conn.tasks = [asyncio.create_task(self._pump(conn, reader, up_writer, "upstream")),
                      asyncio.create_task(self._pump(conn, up_reader, writer, "downstream"))]
        await asyncio.gather(*conn.tasks, return_exceptions=True)
        self._close(conn)

    async def _pump(self, conn: _Conn, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    direction: str) -> None:
        try:
            while not conn.closed:
                data = await reader.read(CHUNK)
                if not data:
                    break
                t = self.toxics
                if _applies(t.blackhole, direction):
                    self.stats.blackholed_bytes += len(data)
                    continue
                if t.latency and _applies(t.latency_direction, direction):
                    self.stats.delayed_chunks += 1
                    await asyncio.sleep(max(0.0, t.latency + self.random.uniform(-t.jitter, t.jitter)))
                if t.reset_after is not None and _applies(t.reset_direction, direction):
                    room = t.reset_after - conn.sent[direction]
                    if room <= len(data):
                        if room > 0:
                            writer.write(data[:room])
                            conn.sent[direction] += room
                            with contextlib.suppress(Exception):
                                await writer.drain()
                        self._reset(conn)
                        return
                writer.write(data)
                conn.sent[direction] += len(data)
                if direction == "upstream":
                    self.stats.bytes_upstream += len(data)
                else:
                    self.stats.bytes_downstream += len(data)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if not conn.closed:
                # One side finished: half-close the other so a clean EOF propagates like a real TCP hop.
                with contextlib.suppress(Exception):
                    if writer.can_write_eof():
                        writer.write_eof()

    def _reset(self, conn: _Conn) -> None:
        if conn.closed:
            return
        self.stats.resets += 1
        conn.closed = True
        _abort(conn.client)
        _abort(conn.server)
        for task in conn.tasks:
            task.cancel()
        self._conns.discard(conn)

    def _close(self, conn: _Conn) -> None:
        if not conn.closed:
            conn.closed = True
            for writer in (conn.client, conn.server):
                with contextlib.suppress(Exception):
                    writer.close()
        self._conns.discard(conn)


@contextlib.asynccontextmanager
async def fault_proxy(upstream_port: int, *, seed: int | None = None) -> AsyncIterator[FaultProxy]:
    proxy = await FaultProxy(upstream_port, seed=seed).start()
    try:
        yield proxy
    finally:
        await proxy.stop()


__all__ = ["FaultProxy", "ProxyStats", "Toxics", "fault_proxy"]
