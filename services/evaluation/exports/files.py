"""Scorecards and comparisons as export documents, and the download response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from services.evaluation.domain.methods.base import fmt
from services.evaluation.exports import pdf, xlsx
from services.evaluation.exports.document import Document

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
_KIND_LABELS = {"self": "牵头单位自评", "commission": "卫生健康行政部门评价", "member": "对成员单位的评价"}


def _inputs_text(line: dict[str, Any]) -> str:
    sources = line.get("sources", {})
    parts = []
    for name, value in line.get("inputs", {}).items():
        shown = "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
        source = sources.get(name)
        parts.append(f"{name} = {shown}" + (f"（{source}）" if source else ""))
    return "\n".join(parts)


def scorecard_document(row: dict[str, Any], alliance_name: str) -> Document:
    facts = [("联盟", alliance_name), ("评价年度", str(row["year"])),
             ("评价类型", _KIND_LABELS.get(row["kind"], row["kind"])),
             ("评价框架", f"{row['framework_id']} 第{row['framework_version']}版"),
             ("总得分", f"{fmt(row['total'])} / {fmt(row['max_total'])}"), ("等级", row["grade"])]
    if row["subject_unit_id"]:
        facts.insert(1, ("被评价单位", row["subject_unit_id"]))
    if row["funding_yuan"] is not None:
        facts.append(("学科建设经费（元）", str(row["funding_yuan"])))
    rows = [[line["indicator_id"], line["name"], line["max_points"], _inputs_text(line),
             "；".join(r["rule"] for r in line["rules"]), line["deduction"], line["score"],
             ("一票否决；" if line["veto"] else "") + line["note"]] for line in row["lines"]]
    return Document(title=f"{alliance_name} {row['year']}年度绩效评价评分表", facts=facts,
                    headers=["序号", "指标", "分值", "数据及来源", "评分标准", "扣分", "得分", "说明"],
                    rows=rows, widths=[6, 30, 6, 40, 45, 6, 6, 30],
                    notes=[f"评价结论：{r}" for r in row["reasons"]])


def comparison_document(title: str, facts: list[tuple[str, str]], headers: Sequence[str],
                        rows: Sequence[Sequence[str]]) -> Document:
    return Document(title=title, facts=facts, headers=list(headers), rows=[list(r) for r in rows],
                    widths=[12] * len(headers))


def download(document: Document, fmt_name: str, stem: str) -> Response:
    if fmt_name == "pdf":
        content, media, suffix = pdf.render(document), PDF, "pdf"
    else:
        content, media, suffix = xlsx.render(document), XLSX, "xlsx"
    name = f"{stem}.{suffix}"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
