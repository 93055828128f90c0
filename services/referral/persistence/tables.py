"""Tables of the referral service, in its own schema `referral`."""

from __future__ import annotations

from libs.kit.db import make_metadata
from libs.kit.runtime import EventTables

metadata = make_metadata("referral")
events = EventTables.on(metadata)
