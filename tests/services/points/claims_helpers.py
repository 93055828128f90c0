"""Builders for claim tests: multipart submissions (JSON field ``claim`` + ``evidence`` files), small valid PDF /
PNG / JPEG payloads, and owner-level counts of what was written."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.harness.services import RunningService, TestEnv

from .helpers import owner_connection

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + bytes(range(200, 256))
# R01a 跟班学习: 2 points per week, claim only.
SHADOWING = {"rule": "R01a", "variant": "shadowing", "quantity": 3, "occurred_on": "2024-05-20"}
PROBLEM = "application/problem+json"


def files(*items: tuple[str, bytes, str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("evidence", item) for item in items]


DEFAULT_FILES = files(("来函.pdf", PDF, "application/pdf"))


async def submit(client: httpx.AsyncClient, headers: dict[str, str], claim: dict[str, Any] | str | None = None,
                 evidence: list[tuple[str, tuple[str, bytes, str]]] | None = None, *, key: str | None = None,
                 boundary: str | None = None, fields: dict[str, str] | None = None) -> httpx.Response:
    """POST /claims as multipart; ``boundary`` fixed makes the bytes identical for a retry with the same key."""
    body = SHADOWING if claim is None else claim
    data = {"claim": body if isinstance(body, str) else json.dumps(body, ensure_ascii=False), **(fields or {})}
    sent = {**headers, "Idempotency-Key": key or uuid.uuid4().hex}
    if boundary:
        sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    return await client.post("/claims", headers=sent, data=data,
                             files=DEFAULT_FILES if evidence is None else evidence)


async def submitted(points: RunningService, headers: dict[str, str], claim: dict[str, Any] | None = None,
                    evidence: list[tuple[str, tuple[str, bytes, str]]] | None = None) -> dict[str, Any]:
    response = await submit(points.client, headers, claim, evidence)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def counts(env: TestEnv) -> dict[str, int]:
    """Rows written anywhere a claim could leave a trace (owner connection: sees everything)."""
    conn = await owner_connection(env)
    try:
        return {table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
                for table in ("claims", "claim_evidence", "claim_transitions", "ledger_entries", "outbox",
                                  "idempotency_keys")}
    finally:
        await conn.close()
