"""Frameworks as data: the shipped ones listed and readable; a new one uploaded (TOML or JSON), validated by
``catalog.parse_framework`` with the bad key named, stored versioned, and usable at once."""

from __future__ import annotations

from pathlib import Path

from services.evaluation.domain.catalog import FRAMEWORKS_DIR
from tests.harness.services import RunningService

from .harness import auditor, office, post, problem, unit_admin

TOML = """
id = "city-alliance-2026"
version = 1
kind = "scorecard"
title = "某市专科联盟考核（示例）"
source = "示例文件"
effective_from = 2026-01-01
max_total = 10

[grading]
method = "pass_fail"
pass_min = 6
pass_label = "合格"
fail_label = "不合格"

[[indicators]]
id = "1"
name = "联盟章程"
max = 10
[[indicators.rules]]
method = "deduct_per_missing"
per_missing = 10
items = [{ metric = "has_charter", label = "联盟章程" }]
"""


async def test_shipped_frameworks(svc: RunningService) -> None:
    listed = (await svc.client.get("/frameworks", headers=auditor())).json()
    assert {(f["framework_id"], f["kind"], f["origin"]) for f in listed} >= {
        ("hunan-alliance-2024", "scorecard", "builtin"), ("haikou-2021", "scorecard", "builtin"),
        ("jizhou-2019", "reporting", "builtin"), ("club-annual-2024", "ranking", "builtin")}
    hunan = (await svc.client.get("/frameworks/hunan-alliance-2024", headers=unit_admin("u"))).json()
    assert hunan["body"]["max_total"] == "100" and len(hunan["body"]["indicators"]) == 18
    veto = next(i for i in hunan["body"]["indicators"] if i["id"] == "6")
    assert veto["veto"] and not veto["not_applicable_allowed"]
    metrics = {m["metric"]: m for m in hunan["body"]["metrics"]}
    assert metrics["down_referrals"]["from_platform"] and not metrics["has_charter"]["from_platform"]
    assert metrics["member_outpatient_satisfaction"] == {
        "metric": "member_outpatient_satisfaction", "label": "门诊患者满意度", "kind": "percent",
        "year_on_year": True, "from_platform": False}
    assert (await svc.client.get("/frameworks/nope", headers=auditor())).status_code == 404


async def test_upload_versions_and_validation(svc: RunningService) -> None:
    headers = office("any-alliance")
    r = await post(svc.client, "/frameworks", {"format": "toml", "content": TOML}, headers)
    assert r.status_code == 201, r.text
    assert r.json() == {"framework_id": "city-alliance-2026", "version": 1, "kind": "scorecard",
                        "title": "某市专科联盟考核（示例）", "origin": "uploaded"}
    same = await post(svc.client, "/frameworks", {"format": "toml", "content": TOML}, headers)
    assert same.status_code == 409 and problem(same)["errors"][0]["field"] == "version"
    v2 = TOML.replace("version = 1", "version = 2").replace("pass_min = 6", "pass_min = 8")
    assert (await post(svc.client, "/frameworks", {"format": "toml", "content": v2}, headers)).status_code == 201
    latest = (await svc.client.get("/frameworks/city-alliance-2026", headers=auditor())).json()
    first = (await svc.client.get("/frameworks/city-alliance-2026", params={"version": 1}, headers=auditor())).json()
    assert (latest["version"], latest["body"]["grading"]["pass_min"]) == (2, "8")
    assert (first["version"], first["body"]["grading"]["pass_min"]) == (1, "6")

    bad = TOML.replace('id = "city-alliance-2026"', 'id = "city-bad"').replace("per_missing = 10", 'per_missing = "x"')
    r = await post(svc.client, "/frameworks", {"format": "toml", "content": bad}, headers)
    assert r.status_code == 422 and problem(r)["errors"][0]["field"] == "indicators[0].rules[0].per_missing"
    r = await post(svc.client, "/frameworks", {"format": "toml", "content": "id = ["}, headers)
    assert r.status_code == 422 and problem(r)["errors"][0]["field"] == "content"
    r = await post(svc.client, "/frameworks", {"format": "json", "content": '{"id": "x", "max_total": 0.5}'}, headers)
    assert r.status_code == 422
    totals = TOML.replace('id = "city-alliance-2026"', 'id = "city-sum"').replace("max_total = 10", "max_total = 12")
    r = await post(svc.client, "/frameworks", {"format": "toml", "content": totals}, headers)
    assert r.status_code == 422 and problem(r)["errors"][0]["field"] == "max_total"
    names = {f["framework_id"] for f in (await svc.client.get("/frameworks", headers=auditor())).json()}
    assert "city-bad" not in names and "city-sum" not in names


async def test_a_shipped_framework_gets_a_new_version_only_above_its_own(svc: RunningService) -> None:
    text = (Path(FRAMEWORKS_DIR) / "haikou-2021.toml").read_text(encoding="utf-8")
    r = await post(svc.client, "/frameworks", {"format": "toml", "content": text}, office("a"))
    assert r.status_code == 409
    r = await post(svc.client, "/frameworks", {"format": "toml", "content": text.replace("version = 1",
                                                                                         "version = 2")}, office("a"))
    assert r.status_code == 201


async def test_who_uploads(svc: RunningService) -> None:
    for headers in (unit_admin("u1"), auditor()):
        assert (await post(svc.client, "/frameworks", {"format": "toml", "content": TOML}, headers)
                ).status_code == 403
    r = await post(svc.client, "/frameworks", {"format": "yaml", "content": TOML}, office("a"))
    assert r.status_code == 422
