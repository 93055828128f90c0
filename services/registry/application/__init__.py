"""Use cases of the registry service: each runs in the caller's transaction (request or message), checks the
caller's scope, applies the pure domain, stores the change and writes its events to the outbox — never commits."""
