"""Events the points service publishes. (Contracts are added here by the points service's work.)"""

from __future__ import annotations

from libs.events.registry import EventData, event_type  # noqa: F401
