"""Inbox consumers of the points service: the registry directory (and R03b positions), referral awards
(R02a–R02d, R05) and evaluation prizes (R03c). Each handler runs in the inbox transaction of its event."""

from __future__ import annotations

from libs.events.consumer import ConsumerSpec
from services.points.runtime import PointsRuntime

from .evaluation import evaluation_spec
from .referral import referral_spec
from .registry import registry_spec


def consumer_specs(runtime: PointsRuntime) -> list[ConsumerSpec]:
    return [registry_spec(runtime), referral_spec(runtime), evaluation_spec(runtime)]
