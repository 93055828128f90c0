"""Who is calling: roles, scopes and the principal the gateway passes to the services.

The gateway authenticates (JWT, WeChat mini-program login, signed webhooks) and forwards a
``Principal`` in the ``x-principal`` header, HMAC-signed with the internal key. Every service verifies
it and enforces authorization on every object itself (not only in the gateway).
"""
