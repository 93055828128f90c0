"""Tables of the points service, in its own schema `points`."""

from __future__ import annotations

from libs.kit.db import make_metadata
from libs.kit.runtime import EventTables

metadata = make_metadata("points")
events = EventTables.on(metadata)
