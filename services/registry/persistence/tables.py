"""Tables of the registry service, in its own schema `registry`."""

from __future__ import annotations

from libs.kit.db import make_metadata
from libs.kit.runtime import EventTables

metadata = make_metadata("registry")
events = EventTables.on(metadata)
