"""Points events (积分): the closed year's collective points per unit (年度封账 ``unit_totals`` — 集体积分固定存档,
for the club annual evaluation), and ledger entries of rules that are also evaluation metrics: R04 (临床专家
下派坐诊、查房、讲座 …) → expert visits; R11 / R01a (进修、跟班学习) → trainees received. An award counts +1 on its
``business_date``, its reversal (冲正) −1; other entry types (兑换, 调整) are not activity and are ignored.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.consumer import ConsumerSpec, Handler
from libs.events.registry import Event
from libs.events.schemas import points as pt
from libs.kit.amounts import parse_points
from services.evaluation.metrics.derived import Counter
from services.evaluation.persistence import counters
from services.evaluation.persistence.tables import points_snapshots

RULE_COUNTERS = {"R04": Counter.EXPERT_VISIT, "R11": Counter.TRAINEE, "R01a": Counter.TRAINEE}
_DELTAS = {"award": 1, "reversal": -1}


async def on_year_closed(session: AsyncSession, event: Event) -> None:
    """Store each unit's collective points of the closed year (a re-close of the year replaces them)."""
    data = event.data
    assert isinstance(data, pt.YearClosed)
    for unit_id, raw in sorted(data.unit_totals.items()):
        values = {"alliance_id": data.alliance_id, "year": data.year, "unit_id": unit_id,
                  "points": parse_points(raw, field=f"unit_totals.{unit_id}", allow_zero=True, allow_negative=True),
                  "event_id": event.id, "recorded_at": event.envelope.time}
        stmt = pg_insert(points_snapshots).values(**values)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=[points_snapshots.c.alliance_id, points_snapshots.c.year, points_snapshots.c.unit_id],
            set_=values))


async def on_entry(session: AsyncSession, event: Event) -> None:
    data = event.data
    assert isinstance(data, pt.EntryRecorded)
    counter = RULE_COUNTERS.get(data.rule_code or "")
    delta = _DELTAS.get(data.entry_type)
    if counter is None or delta is None or data.unit_id is None:
        return
    await counters.bump(session, alliance_id=data.alliance_id, unit_id=data.unit_id, metric=counter,
                        day=data.business_date, at=event.envelope.time, delta=delta,
                        fact_key=f"points:{data.entry_id}")


HANDLERS: dict[str, Handler] = {
    "alliance.points.year.closed": on_year_closed,
    "alliance.points.entry.recorded": on_entry,
}


def spec() -> ConsumerSpec:
    return ConsumerSpec(source="points", handlers=HANDLERS)
