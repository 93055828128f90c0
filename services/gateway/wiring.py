"""Builds the gateway's parts from settings (called by ``create_app``; nothing is built at import time).

With a database (``GATEWAY_DATABASE_URL`` or ``DATABASE_URL``): bindings and the security audit in the
``gateway`` schema. Without one (local runs only; production refuses to start): in-memory bindings and
audit lines in the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from jwt import PyJWKClient
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.kit.clock import Clock, SystemClock
from libs.kit.db import create_engine, make_sessionmaker
from services.gateway.audit import AuditSink, LogAuditSink, PostgresAuditSink, SecurityAudit
from services.gateway.auth.gate import Gate
from services.gateway.auth.issuer import TokenIssuer
from services.gateway.auth.keys import KeyRing, hs256_key, load_jwks_file
from services.gateway.auth.tokens import TokenVerifier
from services.gateway.proxy import Upstreams
from services.gateway.ratelimit import RateLimiter
from services.gateway.settings import SERVICES, GatewaySettings
from services.gateway.wechat.bindings import BindingStore, MemoryBindingStore, PostgresBindingStore
from services.gateway.wechat.code2session import Code2Session, FakeCode2Session, WeChatCode2Session
from services.gateway.wechat.service import WeChatLogin


@dataclass
class Gateway:
    settings: GatewaySettings
    upstreams: Upstreams
    issuer: TokenIssuer
    gate: Gate
    audit: SecurityAudit
    wechat: WeChatLogin
    engine: AsyncEngine | None = None
    closers: list[Any] = field(default_factory=list)

    async def close(self) -> None:
        await self.audit.flush()
        await self.upstreams.close()
        for close in self.closers:
            await close()
        if self.engine is not None:
            await self.engine.dispose()


def build(settings: GatewaySettings, *, clock: Clock | None = None, code2session: Code2Session | None = None
          ) -> Gateway:
    clock = clock or SystemClock()
    engine = create_engine(settings) if settings.database_url else None
    issuer = TokenIssuer(settings, clock)
    audit = SecurityAudit(_audit_sink(engine), clock, flush_seconds=settings.audit_flush_seconds)
    limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst,
                          max_clients=settings.rate_limit_max_clients)
    gate = Gate(TokenVerifier(settings, _keyring(settings, issuer)), limiter, audit)
    upstreams = Upstreams({s: settings.upstream(s) for s in SERVICES}, timeout=settings.upstream_timeout_seconds,
                          connect_timeout=settings.connect_timeout_seconds)
    closers: list[Any] = []
    if code2session is None:
        code2session = _code2session(settings)
        if isinstance(code2session, WeChatCode2Session):
            closers.append(code2session.close)
    wechat = WeChatLogin(wechat=code2session, store=_binding_store(engine), issuer=issuer, clock=clock,
                         appid=settings.wechat_appid, pseudonym_key=settings.pseudonym_key,
                         code_ttl=timedelta(hours=settings.bind_code_ttl_hours))
    return Gateway(settings, upstreams, issuer, gate, audit, wechat, engine, closers)


def _keyring(settings: GatewaySettings, issuer: TokenIssuer) -> KeyRing:
    keys = load_jwks_file(settings.jwks_file) if settings.jwks_file else {}
    own = issuer.public_jwk()
    if own is not None and own.key_id:
        keys[own.key_id] = own
    client = PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300) if settings.jwks_url else None
    dev_key = hs256_key(settings.dev_hs256_key.get_secret_value()) if settings.is_dev else None
    return KeyRing(keys, dev_key=dev_key, jwks_client=client)


def _audit_sink(engine: AsyncEngine | None) -> AuditSink:
    return PostgresAuditSink(engine) if engine is not None else LogAuditSink()


def _binding_store(engine: AsyncEngine | None) -> BindingStore:
    return PostgresBindingStore(make_sessionmaker(engine)) if engine is not None else MemoryBindingStore()


def _code2session(settings: GatewaySettings) -> Code2Session:
    if settings.wechat_mode == "real":
        return WeChatCode2Session(settings.wechat_appid, settings.wechat_secret, base_url=settings.wechat_api_base)
    return FakeCode2Session()


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
