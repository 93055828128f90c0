"""Seeded fault hooks ("buggify") at the points where crashes hurt most.

Points: ``after_publish_before_mark`` (relay), ``after_commit_before_ack`` (consumer). A test or the
``EVENTS_FAULTS`` environment variable (``point:action[:probability]`` comma-separated, action
``raise`` or ``exit``) arms them; ``EVENTS_FAULTS_SEED`` makes a run replayable.
"""

from __future__ import annotations

import logging
import os
import random

log = logging.getLogger("events.faults")


class InjectedFault(RuntimeError):
    pass


class Faults:
    def __init__(self, spec: str = "", seed: int | None = None) -> None:
        self.rules: dict[str, tuple[str, float]] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            point, action, *prob = item.split(":")
            self.rules[point] = (action, float(prob[0]) if prob else 1.0)
        self.random = random.Random(seed)

    @classmethod
    def from_env(cls) -> Faults:
        seed = os.environ.get("EVENTS_FAULTS_SEED")
        return cls(os.environ.get("EVENTS_FAULTS", ""), int(seed) if seed else None)

    def arm(self, point: str, action: str = "raise", probability: float = 1.0) -> None:
        self.rules[point] = (action, probability)

    def disarm(self, point: str) -> None:
        self.rules.pop(point, None)

    def hit(self, point: str) -> None:
        rule = self.rules.get(point)
        if rule is None or self.random.random() >= rule[1]:
            return
        log.warning("fault injected", extra={"point": point, "action": rule[0]})
        if rule[0] == "exit":
            os._exit(17)
        raise InjectedFault(point)
