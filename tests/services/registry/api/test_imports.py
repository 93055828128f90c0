"""/imports: CSV / XLSX, all-or-nothing per file; a bad row → 422 listing rows, nothing stored."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from libs.auth.principal import Role
from services.registry.persistence.tables import doctors, institutions
from tests.services.registry.api.support import assert_problem, count_rows, published
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import (
    build_hunan_pediatric,
    valid_practice_cert,
    valid_resident_id,
    valid_uscc,
)

INSTITUTION_HEADER = ["机构名称", "统一社会信用代码", "行政区划代码", "机构性质", "机构等级", "行政级别",
                      "编制床位数（张）", "开放床位数", "全院职工数", "医师数", "护士数", "药师数", "技师数",
                      "省级临床重点专科"]
DOCTOR_HEADER = ["姓名", "医师执业证书编码", "执业机构统一社会信用代码", "科室", "身份证号码", "联系电话"]


def institution_row(name: str, region: str, **changes: str) -> list[str]:
    row = {"name": name, "uscc": valid_uscc(region_code=region), "region": region, "nature": "政府办",
           "grade": "二级甲等", "rank": "正科级", "beds": "300", "open": "320", "staff": "500", "doctors": "120",
           "nurses": "200", "pharmacists": "20", "technicians": "40", "key": "儿科、新生儿专业"}
    row.update(changes)
    return list(row.values())


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    lines = ["湖南省儿科专科联盟成员单位名单（2025年）", ",".join(header)] + [",".join(r) for r in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(registry: Registry, path: str, name: str, data: bytes, *, role: Role = Role.PLATFORM_ADMIN,
                 scope: dict[str, Any] | None = None, **form: str) -> Any:
    return await registry.api.call("POST", path, role=role, scope=scope, files={"file": (name, data)}, data=form)


class TestInstitutionImport:
    async def test_good_csv_stores_every_row_and_publishes(self, registry: Registry) -> None:
        rows = [institution_row("浏阳市人民医院", "430181"), institution_row("宁乡市人民医院", "430182")]
        response = await upload(registry, "/imports/institutions", "units.csv", csv_bytes(INSTITUTION_HEADER, rows))
        assert response.status_code == 201, response.text
        result = response.json()
        assert result["imported"] == 2 and [i["row"] for i in result["items"]] == [3, 4]
        events = await published(registry.runtime, "alliance.registry.institution.registered", at_least=2)
        assert {e.data["name"] for e in events} == {"浏阳市人民医院", "宁乡市人民医院"}

    async def test_one_bad_row_stores_nothing_and_lists_the_rows(self, registry: Registry) -> None:
        good = institution_row("浏阳市人民医院", "430181")
        bad_code = institution_row("宁乡市人民医院", "430182", uscc="91430100MA4L0000X0")
        bad_beds = institution_row("长沙县人民医院", "430121", beds="三百")
        duplicate = institution_row("浏阳市人民医院（重复）", "430181", uscc=good[1])
        data = csv_bytes(INSTITUTION_HEADER, [good, bad_code, bad_beds, duplicate])
        problem = assert_problem(await upload(registry, "/imports/institutions", "units.csv", data), 422)
        found = {(e["row"], e["field"]) for e in problem["errors"]}
        assert {(4, "统一社会信用代码"), (5, "编制床位数（张）"), (6, "统一社会信用代码")} <= found
        assert await count_rows(registry.runtime, institutions) == 0

    async def test_already_registered_uscc_is_a_row_error(self, registry: Registry) -> None:
        first = institution_row("浏阳市人民医院", "430181")
        await upload(registry, "/imports/institutions", "a.csv", csv_bytes(INSTITUTION_HEADER, [first]))
        again = csv_bytes(INSTITUTION_HEADER, [institution_row("宁乡市人民医院", "430182"), first])
        problem = assert_problem(await upload(registry, "/imports/institutions", "b.csv", again), 422)
        assert [(e["row"], e["field"]) for e in problem["errors"]] == [(4, "统一社会信用代码")]
        assert await count_rows(registry.runtime, institutions) == 1

    async def test_not_a_spreadsheet(self, registry: Registry) -> None:
        problem = assert_problem(await upload(registry, "/imports/institutions", "units.pdf", b"%PDF-1.4"), 422)
        assert problem["errors"][0]["row"] == 0


class TestDoctorImport:
    async def test_xlsx_registers_every_doctor_at_its_unit(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        rows = [["周医生", valid_practice_cert(), hunan.lead["uscc"], "新生儿科", valid_resident_id(), "13800000011"],
                ["吴医生", valid_practice_cert(), hunan.members[0]["uscc"], "儿科", "", ""]]
        response = await upload(registry, "/imports/doctors", "doctors.xlsx", xlsx_bytes(DOCTOR_HEADER, rows),
                                role=Role.ALLIANCE_OFFICE, scope=hunan.office, starts_on="2025-03-01")
        assert response.status_code == 201, response.text
        events = await published(registry.runtime, "alliance.registry.doctor.registered", at_least=2)
        assert {(e.data["display_name"], e.data["effective_date"]) for e in events} == {
            ("周医生", "2025-03-01"), ("吴医生", "2025-03-01")}
        listed = await registry.api.get(f"/doctors?institution_id={hunan.lead['id']}", role=Role.ALLIANCE_OFFICE,
                                        scope=hunan.office)
        assert [d["name"] for d in listed["items"]] == ["周医生"]

    async def test_unknown_or_foreign_unit_and_bad_id_store_nothing(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        rid = valid_resident_id()
        rows = [["周医生", valid_practice_cert(), hunan.lead["uscc"], "儿科", rid, ""],
                ["吴医生", valid_practice_cert(), valid_uscc(region_code="430102"), "儿科", "", ""],
                ["郑医生", valid_practice_cert(), hunan.members[0]["uscc"], "儿科", rid[:-1] + "Z", ""],
                ["王医生", "123", hunan.lead["uscc"], "儿科", "", ""]]
        response = await upload(registry, "/imports/doctors", "doctors.xlsx", xlsx_bytes(DOCTOR_HEADER, rows),
                                role=Role.UNIT_ADMIN, scope=hunan.lead_admin)
        problem = assert_problem(response, 422)
        found = {(e["row"], e["field"]) for e in problem["errors"]}
        assert {(4, "身份证号码"), (5, "医师执业证书编码")} <= found, found
        rows = [rows[0], rows[1], ["郑医生", valid_practice_cert(), hunan.members[0]["uscc"], "儿科", "", ""]]
        response = await upload(registry, "/imports/doctors", "doctors.xlsx", xlsx_bytes(DOCTOR_HEADER, rows),
                                role=Role.UNIT_ADMIN, scope=hunan.lead_admin)
        problem = assert_problem(response, 422)
        assert [(e["row"], e["reason"]) for e in problem["errors"]] == [
            (3, "该机构尚未登记，请先导入机构"), (4, "无权在该单位登记医师")]
        assert await count_rows(registry.runtime, doctors) == 0

    async def test_doctor_import_is_not_for_auditors(self, registry: Registry) -> None:
        data = xlsx_bytes(DOCTOR_HEADER, [["周医生", valid_practice_cert(), valid_uscc(region_code="430102"), "",
                                           "", ""]])
        assert_problem(await upload(registry, "/imports/doctors", "d.xlsx", data, role=Role.AUDITOR), 403)
