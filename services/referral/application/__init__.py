"""Use cases of the referral service: load domain objects, call the pure domain, persist, write events.

Each function runs inside the caller's transaction (request or message scope) and never commits.
"""
