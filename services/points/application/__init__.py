"""Use cases of the points service: awards, reversals, adjustments, redemptions, year close, reads."""
