"""A migrated template database per test session; each test gets a fresh copy (real migrations, isolation)."""

from __future__ import annotations

import uuid

import asyncpg

from libs.kit.migrations import SERVICES_WITH_DB, upgrade


async def _admin(server_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(server_url)


async def create_template(server_url: str) -> str:
    name = f"alliance_tpl_{uuid.uuid4().hex[:8]}"
    conn = await _admin(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


def migrate(database_url: str) -> None:
    for service in SERVICES_WITH_DB:
        upgrade(service, database_url)


async def clone(server_url: str, template: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await _admin(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return name


async def drop(server_url: str, name: str) -> None:
    conn = await _admin(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
