"""Percentiles, medians and the measurement records every scenario returns.

A ``Measurement`` is one figure: its value (the median of the runs when several), the unit, every run's value,
and optionally the baseline it is compared with (measured in the same run) and the ratio. A ``Target`` says what
the issue asks for and whether the measurement meets it. Nothing here knows about wall-clock thresholds: the
numbers are what they are; ``met`` is computed from them, never set by hand.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) of recorded values; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Latencies recorded in seconds → milliseconds summary (count, p50, p90, p99, max, mean)."""
    ms = [s * 1000.0 for s in seconds]
    return {"count": len(ms), "p50_ms": percentile(ms, 50), "p90_ms": percentile(ms, 90),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else math.nan,
            "mean_ms": statistics.fmean(ms) if ms else math.nan}


def median(values: Iterable[float]) -> float:
    items = [v for v in values if v is not None and not math.isnan(v)]
    return float(statistics.median(items)) if items else math.nan


@dataclass
class Measurement:
    name: str
    value: float
    unit: str
    runs: list[float] = field(default_factory=list)
    baseline: str | None = None  # the name of the baseline measurement (same run)
    baseline_value: float | None = None
    ratio: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_runs(cls, name: str, runs: Sequence[float], unit: str, **detail: Any) -> Measurement:
        return cls(name, median(runs), unit, [float(r) for r in runs], detail=dict(detail))

    def against(self, baseline: Measurement | None, *, inverse: bool = False) -> Measurement:
        """Attach a same-run baseline; ratio = value / baseline (or baseline / value when ``inverse``)."""
        if baseline is None or not _finite(baseline.value) or not _finite(self.value):
            if baseline is not None:
                self.baseline, self.baseline_value = baseline.name, baseline.value
            return self
        self.baseline, self.baseline_value = baseline.name, baseline.value
        if inverse:
            self.ratio = baseline.value / self.value if self.value else None
        else:
            self.ratio = self.value / baseline.value if baseline.value else None
        return self

    def to_json(self) -> dict[str, Any]:
        return _clean(asdict(self))


@dataclass
class Target:
    """``metric op threshold`` on a measurement's value (``on="ratio"``: on its ratio to the baseline)."""

    scenario: str
    text: str  # as the issue words it, e.g. "≥ 50,000 entries/s"
    measurement: str
    op: str  # ">=" or "<=" or "==" (booleans as 1/0)
    threshold: float
    on: str = "value"  # value | ratio
    actual: float | None = None
    met: bool | None = None  # None = not measured
    limited_by: str | None = None

    def evaluate(self, measurements: dict[str, Measurement]) -> Target:
        found = measurements.get(self.measurement)
        if found is None:
            self.actual, self.met = None, None
            return self
        actual = found.ratio if self.on == "ratio" else found.value
        self.actual = actual
        if actual is None or not _finite(actual):
            self.met = None if actual is None else False
            return self
        self.met = {">=": actual >= self.threshold, "<=": actual <= self.threshold,
                    "==": actual == self.threshold}[self.op]
        return self

    def to_json(self) -> dict[str, Any]:
        return _clean(asdict(self))


def _finite(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def _clean(value: Any) -> Any:
    """JSON has no NaN: not-a-number becomes null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
