"""Score lines as JSON (stored, returned, exported): exact decimals as text, dates as ISO strings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from services.evaluation.domain.methods.base import fmt
from services.evaluation.domain.scoring import ScoreLine


def plain(value: object) -> Any:
    """A domain value → JSON: ``Decimal("1.60")`` → ``"1.6"``, dates → ``"2024-03-01"``, tuples → lists."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)


def line_json(line: ScoreLine, group: str, sources: Mapping[str, str]) -> dict[str, Any]:
    """One score line: inputs (with their sources), every rule in words, 扣分 and 得分."""
    used = {name: plain(v) for name, v in line.inputs.items()}
    return {
        "indicator_id": line.indicator_id, "group": group, "name": line.name,
        "max_points": fmt(line.max_points), "deduction": fmt(line.deduction), "score": fmt(line.score),
        "veto": line.veto, "not_applicable": line.not_applicable, "note": line.note,
        "inputs": used,
        "sources": {name: sources[name] for name in used if name in sources},
        "rules": [{"method": r.method, "rule": r.rule, "points": fmt(r.points), "veto": r.veto, "note": r.note}
                  for r in line.rules],
    }
