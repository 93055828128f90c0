"""积分明细导出: CSV (UTF-8 BOM) and XLSX with 日期, 规则, 说明, 变动, 余额, 凭证 — oldest first with the running
balance, evidence links to the claim an award came from, a year filter, streamed in batches; formula-looking
text is neutralised; the scope is the statement's (doctor, own unit's liaison, own office, auditor)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.kit.clock import FixedClock
from services.points.application import statement_export
from tests.harness.services import RunningService

from .claims_helpers import SHADOWING, submitted
from .helpers import auditor, award, doctor, office, post, seed

HEADERS = ["日期", "规则", "说明", "变动", "余额", "凭证"]
BOM = b"\xef\xbb\xbf"
ARTICLE: dict[str, Any] = {"rule": "R03a", "variant": "article", "facts": {"char_count": 500, "first_author": True}}


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith(BOM), response.content[:20]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response: httpx.Response) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = book["积分明细"]
    return [(list(row) + [None] * 6)[:6] for row in sheet.iter_rows(values_only=True)]  # empty tail cells: None


@pytest.fixture
async def history(points: RunningService) -> dict[str, str]:
    """D1: a direct award, an approved claim, an adjustment with a formula-looking reason, a reversal, a hold."""
    await seed(points, units=("U1", "U2"), doctors={"D1": "U1", "D2": "U2"})
    first = await award(points.client, "D1", occurred_at="2024-05-01T10:00:00+08:00")  # R16 科主任 50
    claim = await submitted(points, doctor("D1"), {**SHADOWING, "description": "跟班学习"})
    approved = await post(points.client, f"/claims/{claim['claim_id']}/approve", office())
    assert approved.status_code == 200, approved.text
    adjusted = await post(points.client, "/adjustments", office(),
                          {"doctor_id": "D1", "reason": "=HYPERLINK(\"http://evil\")", "amount": "-1.5"})
    assert adjusted.status_code == 201, adjusted.text
    reversed_ = await post(points.client, f"/entries/{first['entry_id']}/reversals", office(),
                           {"reason": "重复录入"})
    assert reversed_.status_code == 201, reversed_.text
    await award(points.client, "D1", **ARTICLE)
    return {"claim_id": claim["claim_id"]}


class TestCsv:
    async def test_columns_running_balance_and_evidence_link(self, points: RunningService,
                                                            history: dict[str, str]) -> None:
        response = await points.client.get("/members/D1/statement.csv", headers=doctor("D1"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert "statement-D1-all.csv" in response.headers["content-disposition"]
        assert "content-length" not in response.headers  # streamed (chunked), not buffered
        rows = csv_rows(response)
        assert rows[0] == HEADERS
        body = rows[1:]
        assert [(r[3], r[4]) for r in body] == [("+50.0", "50.0"), ("+6.0", "56.0"), ("-1.5", "54.5"),
                                                ("-50.0", "4.5"), ("+1.0", "5.5")]
        assert [r[0] for r in body][:2] == ["2024-05-01", "2024-05-20"]
        award_row, claim_row, adjustment_row, reversal_row, _ = body
        assert award_row[1].startswith("R16") and award_row[2].startswith("赋分") and award_row[5] == ""
        assert claim_row[1].startswith("R01a") and "跟班学习" in claim_row[2]
        assert claim_row[5] == f"/api/v1/points/claims/{history['claim_id']}"
        assert adjustment_row[2].startswith("调整：=HYPERLINK")  # the label first: never a formula
        assert reversal_row[2] == "冲正：重复录入"

    async def test_a_formula_at_the_start_of_a_cell_is_shown_as_text(self) -> None:
        assert statement_export.safe_text("=1+1") == "'=1+1"
        assert statement_export.safe_text("@SUM(A1)") == "'@SUM(A1)"
        assert statement_export.safe_text("R01a 跟班学习") == "R01a 跟班学习"

    async def test_read_in_batches(self, points: RunningService, history: dict[str, str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
        whole = csv_rows(await points.client.get("/members/D1/statement.csv", headers=office()))
        monkeypatch.setattr(statement_export, "BATCH", 2)
        batched = csv_rows(await points.client.get("/members/D1/statement.csv", headers=office()))
        assert batched == whole and len(whole) == 6

    async def test_year_filter_keeps_the_running_balance(self, points: RunningService,
                                                         history: dict[str, str]) -> None:
        clock = points.runtime.clock
        assert isinstance(clock, FixedClock)
        clock.set(datetime(2025, 3, 1, 2, 0, tzinfo=timezone.utc))
        await award(points.client, "D1", **ARTICLE)
        rows_2025 = csv_rows(await points.client.get("/members/D1/statement.csv", params={"year": 2025},
                                                     headers=doctor("D1")))
        assert rows_2025[1:] == [["2025-03-01", rows_2025[1][1], "赋分", "+1.0", "6.5", ""]]
        rows_2024 = csv_rows(await points.client.get("/members/D1/statement.csv", params={"year": 2024},
                                                     headers=doctor("D1")))
        assert len(rows_2024) == 6
        assert csv_rows(await points.client.get("/members/D1/statement.csv", params={"year": 2023},
                                                headers=doctor("D1"))) == [HEADERS]

    async def test_an_empty_statement_has_the_header_only(self, points: RunningService,
                                                          history: dict[str, str]) -> None:
        response = await points.client.get("/members/D2/statement.csv", headers=office())
        assert response.status_code == 200 and csv_rows(response) == [HEADERS]


class TestXlsx:
    async def test_same_lines_as_numbers_and_dates(self, points: RunningService, history: dict[str, str]) -> None:
        response = await points.client.get("/members/D1/statement.xlsx", params={"year": 2024},
                                           headers=doctor("D1"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert "statement-D1-2024.xlsx" in response.headers["content-disposition"]
        rows = xlsx_rows(response)
        assert list(rows[0]) == HEADERS
        assert [(r[3], r[4]) for r in rows[1:]] == [(50, 50), (6, 56), (-1.5, 54.5), (-50, 4.5), (1, 5.5)]
        assert isinstance(rows[1][0], datetime) and rows[1][0].date().isoformat() == "2024-05-01"
        assert rows[2][5] == f"/api/v1/points/claims/{history['claim_id']}"
        assert rows[3][2].startswith("调整：=HYPERLINK")
        csv_body = csv_rows(await points.client.get("/members/D1/statement.csv", params={"year": 2024},
                                                    headers=doctor("D1")))
        assert [[r[1] or None, r[2], r[5] or None] for r in csv_body[1:]] == [[r[1], r[2], r[5]] for r in rows[1:]]


class TestJsonStatement:
    async def test_lines_link_to_the_claim(self, points: RunningService, history: dict[str, str]) -> None:
        lines = (await points.client.get("/members/D1/entries", headers=doctor("D1"))).json()["items"]
        linked = [line for line in lines if line["claim_id"]]
        assert [(line["claim_id"], line["evidence_url"]) for line in linked] == \
            [(history["claim_id"], f"/api/v1/points/claims/{history['claim_id']}")]
        assert all(line["evidence_url"] is None for line in lines if not line["claim_id"])


class TestScope:
    @pytest.mark.parametrize(("who", "expected"), [
        ("doctor", 200), ("unit liaison", 200), ("office", 200), ("auditor", 200),
        ("other doctor", 404), ("other unit liaison", 404), ("other office", 404), ("commission", 403),
    ])
    @pytest.mark.parametrize("extension", ["csv", "xlsx"])
    async def test_who_may_export(self, points: RunningService, history: dict[str, str], who: str, expected: int,
                                  extension: str) -> None:
        headers = {"doctor": doctor("D1"), "unit liaison": as_principal(Role.UNIT_ADMIN, institution_id="U1"),
                   "office": office(), "auditor": auditor(), "other doctor": doctor("D2"),
                   "other unit liaison": as_principal(Role.UNIT_ADMIN, institution_id="U2"),
                   "other office": office("other"),
                   "commission": as_principal(Role.HEALTH_COMMISSION, region_code="430000")}[who]
        response = await points.client.get(f"/members/D1/statement.{extension}", headers=headers)
        assert response.status_code == expected, response.text
        if expected != 200:
            assert response.headers["content-type"].startswith("application/problem+json")

    async def test_unknown_doctor_and_bad_years(self, points: RunningService, history: dict[str, str]) -> None:
        assert (await points.client.get("/members/D404/statement.csv", headers=auditor())).status_code == 404
        for year in ("1999", "2201", "abc", "2024.5"):
            response = await points.client.get("/members/D1/statement.csv", params={"year": year},
                                               headers=doctor("D1"))
            assert response.status_code == 422, year
