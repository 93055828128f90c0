"""Payload contracts, one module per producing service. Importing this package registers them all."""

from libs.events.schemas import evaluation, points, referral, registry  # noqa: F401
