"""The Grafana dashboard and the alert rules query only metrics (and labels) the code exports."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from libs.kit import metrics
from libs.kit.migrations import REPO_ROOT

DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "alliance-platform.json"
ALERTS = REPO_ROOT / "deploy" / "compose" / "alerts.yml"
PROMQL_WORDS = {"sum", "max", "min", "avg", "count", "rate", "increase", "irate", "histogram_quantile", "by",
                "without", "on", "ignoring", "and", "or", "unless", "bool", "offset"}
_SAMPLE_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",),
                    "summary": ("_count", "_sum", "")}


def exported() -> dict[str, set[str]]:
    """Sample name → its label names, for every metric the process registers (ours and the process collector)."""
    names: dict[str, set[str]] = {}
    ours = {m._name: m for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)}
    for family in REGISTRY.collect():
        labels = set(getattr(ours.get(family.name), "_labelnames", ()))
        if family.type == "histogram":
            labels.add("le")
        for suffix in _SAMPLE_SUFFIXES.get(family.type, ("",)):
            names[family.name + suffix] = labels
    return names


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return found + [r["expr"] for g in rules["groups"] for r in g["rules"]]


def metric_names(expr: str) -> set[str]:
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", "", expr)
    bare = re.sub(r"\b(by|without)\s*\([^)]*\)", "", bare)
    return {w for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare) if w not in PROMQL_WORDS}


def grouping_labels(expr: str) -> set[str]:
    groups = re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr)
    matchers = re.findall(r"\{([^}]*)\}", expr)
    return ({label.strip() for g in groups for label in g.split(",") if label.strip()}
            | {m.split("=")[0].strip().rstrip("!~") for ms in matchers for m in ms.split(",") if m.strip()})


class TestDashboard:
    def test_every_query_uses_exported_metrics_and_labels(self) -> None:
        known = exported()
        for expr in expressions():
            names = metric_names(expr)
            assert names and names <= set(known), f"unknown metric in {expr!r}: {names - set(known)}"
            labels = set().union(*(known[n] for n in names))
            assert grouping_labels(expr) <= labels, f"unknown label in {expr!r}"

    def test_the_issue_s_signals_are_on_the_dashboard(self) -> None:
        used = set().union(*(metric_names(e) for e in expressions()))
        for signal in ("http_requests_total", "http_request_duration_seconds_bucket", "outbox_unpublished_rows",
                       "outbox_oldest_unpublished_age_seconds", "events_consumer_pending_messages",
                       "events_dead_letters_parked", "ledger_entries_appended_total", "outbox_relay_leader"):
            assert signal in used, signal

    def test_panels_use_the_datasource_variable(self) -> None:
        dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
        assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids))
        for panel in dashboard["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
