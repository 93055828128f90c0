"""Inbound webhook verification (pure; no web framework)."""
