"""The loopback fault proxy itself (tests/harness/faultproxy.py): each toxic does what the fault tests rely on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.harness.faultproxy import FaultProxy, fault_proxy


@contextlib.asynccontextmanager
async def echo_server() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def roundtrip(proxy: FaultProxy, payload: bytes, *, timeout: float = 5.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), timeout)
    finally:
        writer.close()


async def test_clean_proxy_forwards_bytes_both_ways() -> None:
    async with echo_server() as port, fault_proxy(port, seed=1) as proxy:
        assert await roundtrip(proxy, b"x" * 200_000) == b"x" * 200_000
        assert proxy.stats.bytes_upstream == proxy.stats.bytes_downstream == 200_000


async def test_latency_holds_chunks_back_until_a_client_deadline_passes() -> None:
    async with echo_server() as port, fault_proxy(port, seed=2) as proxy:
        proxy.latency(2.0, direction="downstream")
        with pytest.raises(TimeoutError):
            await roundtrip(proxy, b"ping", timeout=0.3)
        assert proxy.stats.delayed_chunks >= 1
        proxy.clear()
        assert await roundtrip(proxy, b"pong") == b"pong"


async def test_reset_after_n_bytes_delivers_exactly_n_then_resets() -> None:
    async with echo_server() as port, fault_proxy(port, seed=3) as proxy:
        proxy.reset_after(10, direction="downstream")
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"0123456789abcdef")
        await writer.drain()
        got = b""
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            while True:
                chunk = await asyncio.wait_for(reader.read(100), 5)
                if not chunk:
                    raise asyncio.IncompleteReadError(got, None)
                got += chunk
        writer.close()
        assert got == b"0123456789"
        assert proxy.stats.resets == 1


async def test_blackhole_swallows_bytes_and_keeps_the_connection_open() -> None:
    async with echo_server() as port, fault_proxy(port, seed=4) as proxy:
        proxy.blackhole()
        with pytest.raises(TimeoutError):
            await roundtrip(proxy, b"lost", timeout=0.3)
        assert proxy.stats.blackholed_bytes == 4


async def test_drop_is_seeded_and_replayable() -> None:
    async def outcomes(seed: int) -> list[bool]:
        async with echo_server() as port, fault_proxy(port, seed=seed) as proxy:
            proxy.drop(0.5)
            results = []
            for _ in range(12):
                try:
                    results.append(await roundtrip(proxy, b"hi", timeout=2) == b"hi")
                except (ConnectionError, asyncio.IncompleteReadError):
                    results.append(False)
            assert proxy.stats.dropped == results.count(False)
            return results

    first = await outcomes(1234)
    assert first == await outcomes(1234)  # the same seed replays the same faults
    assert True in first and False in first


async def test_cut_and_disable() -> None:
    async with echo_server() as port, fault_proxy(port, seed=5) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"a")
        assert await reader.readexactly(1) == b"a"
        proxy.cut()
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            data = await asyncio.wait_for(reader.read(10), 5)
            if not data:
                raise asyncio.IncompleteReadError(b"", None)
        writer.close()
        await proxy.disable()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", proxy.port)
        await proxy.enable()
        assert await roundtrip(proxy, b"back") == b"back"
