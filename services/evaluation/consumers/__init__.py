"""Inbox consumers of the evaluation service: the registry directory, referral facts and points facts."""

from __future__ import annotations

from libs.events.consumer import ConsumerSpec


def consumer_specs() -> list[ConsumerSpec]:
    from services.evaluation.consumers import points, referral, registry

    return [registry.spec(), referral.spec(), points.spec()]
