"""Tables of the evaluation service, in its own schema `evaluation`."""

from __future__ import annotations

from libs.kit.db import make_metadata
from libs.kit.runtime import EventTables

metadata = make_metadata("evaluation")
events = EventTables.on(metadata)
