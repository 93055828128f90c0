"""备案材料 stored as bytea with sha256 (size and type checked, streamed back) and 标牌 SVG / PDF downloads."""

from __future__ import annotations

import hashlib

import pytest

from libs.auth.principal import Role
from services.registry.persistence.tables import alliance_documents
from tests.harness import services as harness
from tests.services.registry.api.support import assert_problem, count_rows
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import PDF, RegistryApi, build_haikou_neurosurgery, build_hunan_pediatric

OFFICE = Role.ALLIANCE_OFFICE
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


class TestDocuments:
    async def test_round_trip_keeps_bytes_and_checksum(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="preparing")
        created = await registry.api.post(f"/alliances/{hunan.id}/documents", role=OFFICE, scope=hunan.office,
                                          data={"kind": "agreement"},
                                          files={"file": ("../../协议书 扫描件.png", PNG, "image/png")})
        assert created["sha256"] == hashlib.sha256(PNG).hexdigest() and created["size_bytes"] == len(PNG)
        assert created["filename"] == "协议书 扫描件.png"
        response = await registry.api.call("GET", f"/alliances/{hunan.id}/documents/{created['id']}",
                                           role=Role.HEALTH_COMMISSION, scope=hunan.commission, expect=200)
        assert response.content == PNG and response.headers["content-type"] == "image/png"
        assert response.headers["etag"] == f'"{created["sha256"]}"'
        assert "filename*=UTF-8''" in response.headers["content-disposition"]
        listed = await registry.api.get(f"/alliances/{hunan.id}/documents", role=Role.AUDITOR)
        assert [d["id"] for d in listed] == [created["id"]]

    async def test_type_is_checked_by_declaration_and_by_content(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="preparing")
        path = f"/alliances/{hunan.id}/documents"
        cases = [("charter", ("x.exe", b"MZ\x90\x00", "application/x-msdownload"), 415, "file"),
                 ("charter", ("x.pdf", b"MZ\x90\x00", "application/pdf"), 415, "file"),
                 ("charter", ("x.pdf", b"", "application/pdf"), 422, "file"),
                 ("minutes", ("x.pdf", PDF, "application/pdf"), 422, "kind")]
        for kind, file, status, field in cases:
            response = await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, data={"kind": kind},
                                               files={"file": file})
            assert_problem(response, status, field)
        no_file = await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, data={"kind": "charter"})
        assert_problem(no_file, 422, "file")
        assert await count_rows(registry.runtime, alliance_documents) == 0

    async def test_other_jurisdictions_do_not_see_documents(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        doc = hunan.documents[0]
        response = await registry.api.call("GET", f"/alliances/{hunan.id}/documents/{doc['id']}",
                                           role=Role.HEALTH_COMMISSION, scope={"region_code": "460100"})
        assert_problem(response, 404)
        wrong_alliance = await build_haikou_neurosurgery(api=registry.api)
        response = await registry.api.call("GET", f"/alliances/{wrong_alliance.id}/documents/{doc['id']}",
                                           role=Role.AUDITOR)
        assert_problem(response, 404, "document_id")


@pytest.mark.parametrize("limit", [1024])
async def test_size_limit_answers_413(env: harness.TestEnv, limit: int) -> None:
    async with harness.running_service(env, "registry", document_max_bytes=limit) as service:
        api = RegistryApi(service.client)
        hunan = await build_hunan_pediatric(api=api, stage="preparing")
        big = PDF + b"0" * limit
        response = await api.call("POST", f"/alliances/{hunan.id}/documents", role=OFFICE, scope=hunan.office,
                                  data={"kind": "charter"}, files={"file": ("big.pdf", big, "application/pdf")})
        assert_problem(response, 413, "file")


class TestPlaques:
    async def test_member_unit_downloads_svg_and_pdf(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        assert hunan.founded_on is not None
        member = hunan.members[0]
        path = f"/alliances/{hunan.id}/members/{member['id']}"
        svg = await registry.api.call("GET", f"{path}/plaque.svg", role=Role.UNIT_ADMIN,
                                      scope=hunan.unit_admin(member), expect=200)
        text = svg.text
        assert svg.headers["content-type"].startswith("image/svg+xml")
        for expected in ("株洲市妇幼保健院", "湖南省儿科专科联盟", "副主席单位",
                         f"{hunan.founded_on.year}年{hunan.founded_on.month}月{hunan.founded_on.day}日",
                         f"{hunan.founded_on.year + 4}年"):
            assert expected in text
        pdf = await registry.api.call("GET", f"{path}/plaque.pdf", role=OFFICE, scope=hunan.office, expect=200)
        assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
        lead = await registry.api.call("GET", f"/alliances/{hunan.id}/members/{hunan.lead['id']}/plaque.svg",
                                       role=Role.AUDITOR, expect=200)
        assert "主席单位" in lead.text

    async def test_no_plaque_before_opening_nor_for_a_non_member(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="approved")
        path = f"/alliances/{hunan.id}/members/{hunan.lead['id']}/plaque.svg"
        problem = assert_problem(await registry.api.call("GET", path, role=OFFICE, scope=hunan.office), 409)
        assert problem["current_status"] == "approved"
        haikou = await build_haikou_neurosurgery(api=registry.api)
        outsider = f"/alliances/{haikou.id}/members/{hunan.lead['id']}/plaque.pdf"
        assert_problem(await registry.api.call("GET", outsider, role=Role.AUDITOR), 404, "institution_id")
