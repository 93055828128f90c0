"""Comparison across years and across the alliances of a jurisdiction; XLSX and PDF exports; who may run what."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from tests.harness.services import RunningService

from .harness import auditor, commission, doctor, office, post, problem, unit_admin
from .hunan_scenario import OFFICE_2025, Hunan, file, hunan_alliance

YOY = ["10", "11", "12", "13", "14", "15", "17", "18"]


async def run(svc: RunningService, period: str, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await post(svc.client, f"/periods/{period}/scorecards", {"not_applicable": YOY, **body}, headers)
    assert r.status_code == 201, r.text
    card: dict[str, Any] = r.json()
    return card


async def alliance(svc: RunningService, alliance_id: str, region: str, *, office_2024: dict[str, Any]) -> Hunan:
    h = await hunan_alliance(svc, alliance_id, region_code=region)
    await file(svc, h.period_2024, office_2024, office(alliance_id))
    return h


async def test_years_alliances_and_exports(svc: RunningService) -> None:
    weaker = dict(OFFICE_2025, has_charter=False)  # 2024: 章程 missing → −5
    a = await alliance(svc, "cmp-a", "430100", office_2024=weaker)
    b = await alliance(svc, "cmp-b", "430100", office_2024=OFFICE_2025)
    await alliance(svc, "cmp-c", "460100", office_2024=OFFICE_2025)
    hc = commission("430000")
    a24 = await run(svc, a.period_2024, hc, kind="commission")
    a25 = await run(svc, a.period_2025, office("cmp-a"), kind="self")
    b25 = await run(svc, b.period_2025, hc, kind="commission")
    assert a24["total"] != a25["total"]

    years = (await svc.client.get("/alliances/cmp-a/comparison", headers=hc)).json()
    assert [(r["year"], r["total"], r["change"]) for r in years["rows"]] == [
        (2024, a24["total"], None), (2025, a25["total"], str(int(a25["total"]) - int(a24["total"])))]
    assert years["rows"][0]["scores"]["1"] == "5"  # 2024 without 章程

    across = (await svc.client.get("/comparison/alliances", params={"year": 2025, "framework_id":
                                                                     "hunan-alliance-2024"}, headers=hc)).json()
    assert [(r["alliance_id"], r["total"]) for r in across["rows"]] == sorted(
        [("cmp-a", a25["total"]), ("cmp-b", b25["total"])], key=lambda x: (-int(x[1]), x[0]))
    assert across["rows"][0]["rank"] == 1 and across["not_evaluated"] == []
    other = (await svc.client.get("/comparison/alliances", params={"year": 2025, "framework_id":
                                                                    "hunan-alliance-2024"},
                                  headers=commission("460000"))).json()
    assert other["rows"] == [] and other["not_evaluated"] == ["cmp-c"]

    xlsx = await svc.client.get(f"/scorecards/{a25['scorecard_id']}/export", params={"format": "xlsx"},
                                headers=auditor())
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == "湖南省儿科专科联盟 2025年度绩效评价评分表"
    first = next(row for row in cells if row[0] == "1")
    assert first[1] == "专科联盟内部制定相关制度及绩效评价管理办法" and first[5:7] == ("0", "10")
    assert "has_charter = True（联盟办公室填报 第1版）" in first[3]

    pdf = await svc.client.get(f"/scorecards/{a25['scorecard_id']}/export", params={"format": "pdf"},
                               headers=office("cmp-a"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and b"STSong-Light" in pdf.content

    years_xlsx = await svc.client.get("/alliances/cmp-a/comparison", params={"format": "xlsx"}, headers=hc)
    assert load_workbook(BytesIO(years_xlsx.content)).active["A1"].value == "湖南省儿科专科联盟 历年绩效评价对比"


async def test_who_may_run_and_read(svc: RunningService) -> None:
    h = await hunan_alliance(svc, "acl-a", region_code="430100")
    url = f"/periods/{h.period_2025}/scorecards"
    assert (await post(svc.client, url, {"kind": "commission"}, commission("460000"))).status_code == 404
    assert (await post(svc.client, url, {"kind": "self"}, commission("430000"))).status_code == 403
    assert (await post(svc.client, url, {"kind": "commission"}, office("acl-a"))).status_code == 403
    assert (await post(svc.client, url, {"kind": "self"}, unit_admin(h.lead))).status_code == 403
    assert (await post(svc.client, url, {"kind": "self"}, auditor())).status_code == 403
    assert (await post(svc.client, url, {"kind": "self"}, office("other"))).status_code == 404
    missing = await post(svc.client, url, {"kind": "member"}, office("acl-a"))
    assert missing.status_code == 422 and problem(missing)["errors"][0]["field"] == "subject_unit_id"
    lead = await post(svc.client, url, {"kind": "member", "subject_unit_id": h.lead}, office("acl-a"))
    assert lead.status_code == 422
    card = await run(svc, h.period_2025, office("acl-a"), kind="self")
    for headers, status in ((unit_admin(h.m1), 200), (doctor("d1", h.m2), 200), (unit_admin("stranger"), 404),
                            (commission("460000"), 404), (office("other"), 404)):
        r = await svc.client.get(f"/scorecards/{card['scorecard_id']}", headers=headers)
        assert r.status_code == status, (headers, r.text)
        if status == 404:
            assert "lines" not in r.json()
    assert (await svc.client.get("/comparison/alliances", params={"year": 2025, "framework_id": "x"},
                                 headers=unit_admin(h.m1))).status_code == 403
