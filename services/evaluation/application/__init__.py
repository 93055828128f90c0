"""Use cases of the evaluation service: each runs inside the caller's transaction (request or message scope)
and never commits; events go through the outbox in the same transaction."""
