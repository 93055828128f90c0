"""Offline audit of the points ledger (积分账本离线审计): export format, verifier, CLI.

``python -m services.points.audit verify --export FILE --public-key FILE``
"""
