import io
from collections.abc import Sequence

import pytest
from openpyxl import Workbook

from libs.kit.errors import InvalidInput
from services.registry.domain.institution import Grade
from services.registry.imports.parse import RowError, parse_doctors, parse_institutions
from tests.services.registry.builders import make_ric, make_uscc

INSTITUTION_HEADER = ["序号", "*机构名称", "统一社会信用代码", "行政区划代码", "机构性质", "机构等级", "行政级别",
                      "编制床位数（张）", "开放床位数（张）", "全院职工数", "医师数", "护士数", "药师数", "技师数",
                      "国家临床重点专科", "备注"]


def institution_row(n: int, **overrides: str) -> list[str]:
    values = {"name": f"测试医院{n}", "uscc": make_uscc(), "region": "430103", "nature": "政府办医疗机构",
              "grade": "三级甲等", "rank": "正处级", "beds": "800", "open": "900", "staff": "1500",
              "doctors": "400", "nurses": "600", "pharmacists": "50", "technicians": "100", "key": "新生儿专业"}
    values.update(overrides)
    return [str(n), values["name"], values["uscc"], values["region"], values["nature"], values["grade"],
            values["rank"], values["beds"], values["open"], values["staff"], values["doctors"], values["nurses"],
            values["pharmacists"], values["technicians"], values["key"], ""]


def csv_bytes(rows: Sequence[Sequence[object]], *, encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(",".join(str(c) for c in cells) for cells in rows).encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class TestInstitutionsCsv:
    def test_utf8_bom(self) -> None:
        outcome = parse_institutions(csv_bytes([INSTITUTION_HEADER, institution_row(1), institution_row(2)]),
                                     filename="机构.csv")
        assert outcome.ok
        assert [r.row for r in outcome.rows] == [2, 3]
        assert outcome.rows[0].value.grade is Grade.THREE_A
        assert outcome.rows[0].value.key_specialties.national == ("07.01",)

    def test_gb18030_fallback(self) -> None:
        data = csv_bytes([INSTITUTION_HEADER, institution_row(1)], encoding="gb18030")
        outcome = parse_institutions(data, filename="机构.csv")
        assert outcome.ok
        assert outcome.rows[0].value.name == "测试医院1"

    def test_title_line_above_header(self) -> None:
        data = csv_bytes([["2025年专科联盟成员单位名单"], INSTITUTION_HEADER, institution_row(1)])
        outcome = parse_institutions(data, filename="机构.csv")
        assert [r.row for r in outcome.rows] == [3]

    def test_bad_row_gives_row_report_and_nothing(self) -> None:
        rows = [INSTITUTION_HEADER, institution_row(1), institution_row(2, uscc="91110000600037341M", beds="-3"),
                institution_row(3)]
        outcome = parse_institutions(csv_bytes(rows), filename="机构.csv")
        assert not outcome.ok
        assert outcome.rows == ()
        assert set(outcome.errors) == {
            RowError(3, "统一社会信用代码", "统一社会信用代码校验位错误，请核对"),
            RowError(3, "编制床位数（张）", "编制床位数不能为负数"),
        }

    def test_duplicate_uscc_reported(self) -> None:
        code = make_uscc()
        rows = [INSTITUTION_HEADER, institution_row(1, uscc=code), institution_row(2, uscc=code)]
        outcome = parse_institutions(csv_bytes(rows), filename="机构.csv")
        assert outcome.errors == (RowError(3, "统一社会信用代码", "与第2行重复"),)

    def test_missing_required_header(self) -> None:
        header = [h for h in INSTITUTION_HEADER if h != "行政级别"]
        outcome = parse_institutions(csv_bytes([header]), filename="机构.csv")
        assert outcome.rows == ()
        assert outcome.errors[0].column == "行政级别"
        assert "缺少必填列" in outcome.errors[0].reason

    def test_raise_for_errors_carries_rows(self) -> None:
        rows = [INSTITUTION_HEADER, institution_row(1, region="439999")]
        outcome = parse_institutions(csv_bytes(rows), filename="机构.csv")
        with pytest.raises(InvalidInput) as exc:
            outcome.raise_for_errors()
        assert exc.value.errors == [{"row": 2, "field": "行政区划代码", "reason": "行政区划代码不存在：439999"}]
        assert "未导入任何数据" in exc.value.detail

    def test_unsupported_file(self) -> None:
        outcome = parse_institutions(b"data", filename="机构.xls")
        assert outcome.errors[0].row == 0


class TestInstitutionsXlsx:
    def test_numbers_as_cells(self) -> None:
        row: list[object] = list(institution_row(1))
        row[7], row[8] = 800, 900.0
        outcome = parse_institutions(xlsx_bytes([INSTITUTION_HEADER, row]), filename="机构.xlsx")
        assert outcome.ok
        assert outcome.rows[0].value.open_beds == 900

    def test_bad_row_in_xlsx(self) -> None:
        rows = [INSTITUTION_HEADER, institution_row(1), institution_row(2, doctors="2000")]
        outcome = parse_institutions(xlsx_bytes(rows), filename="机构.xlsx")
        assert outcome.rows == ()
        assert outcome.errors == (RowError(3, "医师数", "医师数（2000）不能超过全院职工数（1500）"),)


DOCTOR_HEADER = ["姓名", "医师执业证书编码", "执业机构统一社会信用代码", "执业机构名称", "科室", "身份证号码",
                 "联系电话"]


class TestDoctors:
    def test_valid(self) -> None:
        unit = make_uscc()
        rows = [DOCTOR_HEADER, ["李医生", "110430122000123", unit, "测试医院", "儿科", make_ric(), "13800138000"],
                ["王医生", "110430122000124", unit, "", "", "", ""]]
        outcome = parse_doctors(csv_bytes(rows), filename="医师.csv")
        assert outcome.ok
        assert outcome.rows[1].value.resident_id is None

    def test_bad_rows_reported_with_columns(self) -> None:
        unit = make_uscc()
        rows = [DOCTOR_HEADER, ["李医生", "11043012200012", unit, "", "", "430102199001011234", ""],
                ["王医生", "110430122000124", unit, "", "", "", "123"]]
        outcome = parse_doctors(csv_bytes(rows), filename="医师.csv")
        assert outcome.rows == ()
        assert [(e.row, e.column) for e in outcome.errors] == [
            (2, "医师执业证书编码"), (2, "身份证号码"), (3, "联系电话")]

    def test_resident_id_typed_as_number_in_xlsx(self) -> None:
        number_cell: list[object] = ["李医生", 110430122000123, make_uscc(), "", "", 4.30102199001011e17, ""]
        rows: list[Sequence[object]] = [DOCTOR_HEADER, number_cell]
        outcome = parse_doctors(xlsx_bytes(rows), filename="医师.xlsx")
        assert outcome.rows == ()
        assert outcome.errors == (RowError(2, "身份证号码", "该列须设为文本格式后重新填写（按数字保存会丢失末几位）"),)

    def test_duplicate_certificate(self) -> None:
        unit = make_uscc()
        rows = [DOCTOR_HEADER, ["李", "110430122000123", unit, "", "", "", ""],
                ["王", "110430122000123", unit, "", "", "", ""]]
        outcome = parse_doctors(csv_bytes(rows), filename="医师.csv")
        assert outcome.errors == (RowError(3, "医师执业证书编码", "与第2行重复"),)

    def test_too_many_rows(self) -> None:
        unit = make_uscc()
        rows = [DOCTOR_HEADER] + [["李", f"110430122{i:06d}", unit, "", "", "", ""] for i in range(5)]
        outcome = parse_doctors(csv_bytes(rows), filename="医师.csv", max_rows=3)
        assert outcome.rows == ()
        assert "最多导入3行" in outcome.errors[0].reason


class TestXlsxRowNumbers:
    def test_blank_rows_keep_spreadsheet_numbering(self) -> None:
        unit = make_uscc()
        rows = [["医师名单"], [], DOCTOR_HEADER, ["李", "110430122000123", unit], [],
                                    ["王", "1104301220001", unit]]
        outcome = parse_doctors(xlsx_bytes(rows), filename="医师.xlsx")
        assert outcome.errors == (RowError(6, "医师执业证书编码", "医师执业证书编码应为15位数字"),)
