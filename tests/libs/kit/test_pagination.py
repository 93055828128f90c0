"""Page size, cursor and offset rules over HTTP, and keyset paging on real PostgreSQL (matrix row 22)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from libs.kit.pagination import MAX_LIMIT, Page, PageDep, PageParams, decode_cursor, encode_cursor, keyset, page_of
from libs.kit.problems import install_problem_handlers
from tests.libs.kit.conftest import KitApp, things


@pytest.fixture
async def client() -> Any:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/items")
    async def items(page: PageDep) -> dict[str, Any]:
        return {"limit": page.limit, "offset": page.offset, "after": page.after}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


class TestPageParams:
    async def test_defaults(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/items")).json() == {"limit": 50, "offset": 0, "after": None}

    @pytest.mark.parametrize("query,field", [
        ("limit=1000000000", "query.limit"), (f"limit={MAX_LIMIT + 1}", "query.limit"), ("limit=0", "query.limit"),
        ("limit=abc", "query.limit"), ("offset=-1", "query.offset"), ("offset=10001", "query.offset"),
        ("cursor=%%%", "query.cursor"), ("cursor=WzFd", "query.cursor"),  # WzFd = "[1]": not an object
        (f"cursor={encode_cursor({'id': 1})}&offset=5", "query.offset"),
    ])
    async def test_out_of_range_is_422_naming_the_field(self, client: httpx.AsyncClient, query: str,
                                                        field: str) -> None:
        response = await client.get("/items?" + query)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == field

    async def test_max_limit_is_allowed(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(f"/items?limit={MAX_LIMIT}")).json()["limit"] == MAX_LIMIT

    def test_cursor_round_trip(self) -> None:
        at = datetime(2026, 1, 1, tzinfo=timezone.utc)
        assert decode_cursor(encode_cursor({"created_at": at, "id": 7})) == {"created_at": at.isoformat(), "id": 7}


class TestKeyset:
    @pytest.mark.parametrize("descending", [False, True])
    async def test_pages_cover_every_row_once(self, kit: KitApp, descending: bool) -> None:
        base = datetime(2026, 1, 1, tzinfo=timezone.utc)
        async with kit.runtime.transaction() as session:
            for i in range(7):  # two rows share a timestamp: the id breaks the tie
                await session.execute(insert(things).values(name=f"t{i}", owner="o",
                                                            created_at=base + timedelta(minutes=i // 2)))
        seen: list[str] = []
        params = PageParams(limit=3)
        for _ in range(5):
            async with kit.runtime.transaction() as session:
                stmt = keyset(select(things), params, things.c.created_at, things.c.id, descending=descending)
                rows = (await session.execute(stmt)).mappings().all()
            page: Page[Any] = page_of(rows, params, lambda r: {"created_at": r["created_at"], "id": r["id"]})
            seen += [r["name"] for r in page.items]
            if page.next_cursor is None:
                break
            params = PageParams(limit=3, after=decode_cursor(page.next_cursor))
        expected = [f"t{i}" for i in range(7)]
        assert seen == (expected[::-1] if descending else expected)

    async def test_offset_without_cursor(self, kit: KitApp) -> None:
        async with kit.runtime.transaction() as session:
            for i in range(4):
                await session.execute(insert(things).values(name=f"t{i}", owner="o"))
            rows = (await session.execute(keyset(select(things), PageParams(limit=2, offset=2), things.c.id))).all()
        assert [r.name for r in rows] == ["t2", "t3"]
