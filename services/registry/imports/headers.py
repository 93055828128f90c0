"""Chinese column headers as offices hold them, mapped to field names.

Headers are matched after normalising: spaces, ``*`` / ``＊`` required-marks and any parenthesised note
(``编制床位数（张）``) are ignored. The first of the first ten rows that holds every required header is the
header row, so a title line above the table is fine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from libs.kit.errors import InvalidInput

HEADER_SEARCH_ROWS = 10
_NOTE = re.compile(r"[（(][^）)]*[）)]")


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str  # the canonical Chinese header, used in error reports
    aliases: tuple[str, ...] = ()
    required: bool = True


INSTITUTION_COLUMNS = (
    Column("name", "机构名称", ("医疗机构名称", "单位名称", "医院名称")),
    Column("uscc", "统一社会信用代码", ("社会信用代码", "信用代码")),
    Column("region_code", "行政区划代码", ("区划代码", "所在地区代码", "地区代码")),
    Column("nature", "机构性质"),
    Column("grade", "机构等级", ("医院等级", "等级")),
    Column("admin_rank", "行政级别"),
    Column("authorised_beds", "编制床位数", ("编制床位",)),
    Column("open_beds", "开放床位数", ("开放床位", "实际开放床位数")),
    Column("staff_total", "全院职工数", ("职工数", "职工总数", "在职职工数")),
    Column("doctors", "医师数", ("执业医师数",)),
    Column("nurses", "护士数", ("注册护士数",)),
    Column("pharmacists", "药师数"),
    Column("technicians", "技师数"),
    Column("national_key_specialties", "国家临床重点专科", ("国家临床重点专科名称",), required=False),
    Column("provincial_key_specialties", "省级临床重点专科", ("省级临床重点专科名称",), required=False),
    Column("city_key_specialties", "市级临床重点专科", ("市级临床重点专科名称",), required=False),
)

DOCTOR_COLUMNS = (
    Column("name", "姓名", ("医师姓名",)),
    Column("practice_cert_no", "医师执业证书编码", ("执业证书编码", "医师执业证书编号", "执业证书编号", "执业证书号")),
    Column("unit_uscc", "执业机构统一社会信用代码",
           ("单位统一社会信用代码", "统一社会信用代码", "所在单位统一社会信用代码")),
    Column("unit_name", "执业机构名称", ("执业机构", "所在单位", "单位名称"), required=False),
    Column("department", "科室", ("所在科室",), required=False),
    Column("resident_id", "身份证号码", ("居民身份证号码", "身份证号", "公民身份号码"), required=False),
    Column("phone", "联系电话", ("手机号码", "手机", "电话"), required=False),
)


def normalise(header: str) -> str:
    text = _NOTE.sub("", header or "")
    return re.sub(r"[\s*＊:：]", "", text)


def map_headers(cells: Sequence[str], columns: Sequence[Column]) -> dict[str, int]:
    """Field key → column index; refuses missing required headers and a field given twice."""
    index: dict[str, int] = {}
    lookup = {normalise(name): col for col in columns for name in (col.header, *col.aliases)}
    for position, cell in enumerate(cells):
        column = lookup.get(normalise(cell))
        if column is None:
            continue  # extra columns (备注, 序号…) are ignored
        if column.key in index:
            raise InvalidInput(f"表头重复：{column.header}", field=column.header)
        index[column.key] = position
    missing = [c.header for c in columns if c.required and c.key not in index]
    if missing:
        raise InvalidInput(f"缺少必填列：{'、'.join(missing)}", field=missing[0], missing=missing)
    return index


def find_header_row(rows: Sequence[tuple[int, list[str]]], columns: Sequence[Column]) -> int:
    """Position (in ``rows``) of the header row: the first that maps every required column.

    When none does, the error of the row that came closest is raised (it is the header row with a typo).
    """
    closest: tuple[int, InvalidInput] | None = None
    for position, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        try:
            map_headers(cells, columns)
            return position
        except InvalidInput as exc:
            missing = len(exc.extra.get("missing", ()))
            if closest is None or missing < closest[0]:
                closest = (missing, exc)
    raise closest[1] if closest else InvalidInput("文件为空", field="file")
