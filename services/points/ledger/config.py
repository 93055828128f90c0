"""What the append path needs besides the entries: the signing key, the checkpoint interval, the event
namespace, the collective-points reading and the clock. Built once at start-up (``services.points.app``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from libs.events.outbox import notify_channel
from libs.kit.clock import Clock, SystemClock
from services.points.domain.scheme import default_registry
from services.points.domain.scheme_model import CollectivePolicy

from .signing import SigningKey

SOURCE = "/alliance/points"


@dataclass(frozen=True)
class LedgerConfig:
    key: SigningKey
    checkpoint_every: int = 1000
    namespace: str = ""
    schema: str = "points"
    policy: CollectivePolicy = CollectivePolicy()
    clock: Clock = SystemClock()

    @property
    def notify_channel(self) -> str:
        return notify_channel(self.schema)


@functools.lru_cache(maxsize=1024)
def area_of(scheme_id: str | None, version: int | None, rule_code: str | None) -> str | None:
    """The sharing area (管理品牌/临床技术/… 共享, or bonus) of a rule; None for entries without a rule."""
    if not (scheme_id and version and rule_code):
        return None
    rule = default_registry().get(scheme_id, version).rules.get(rule_code)
    return rule.area if rule else None


def policy_of(scheme_id: str) -> CollectivePolicy:
    """The 集体积分 reading of the latest version of ``scheme_id``."""
    versions = [r for r in default_registry().available() if r.scheme_id == scheme_id]
    if not versions:
        return CollectivePolicy()
    latest = max(versions, key=lambda r: r.version)
    return default_registry().get(scheme_id, latest.version).collective
