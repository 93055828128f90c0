"""``python -m libs.kit.migrate`` — the one-shot deploy job run before the services start.

1. Applies every service's Alembic tree (its own schema) to its database. Idempotent: at head, nothing happens.
   Two jobs started at once (a retried Kubernetes Job, two ``docker compose up``) queue on an advisory lock per
   service instead of racing.
2. Provisions the JetStream streams with the configured replicas (``<SERVICE>_STREAM_REPLICAS``, 3 on a cluster),
   raising the replica count of an existing stream if it is lower — unless ``--no-streams`` or no NATS URL is set.

Where to: the services' own variables (``<SERVICE>_DATABASE_URL``, ``<SERVICE>_NATS_URL``, ``…_EVENTS_NAMESPACE``)
with ``DATABASE_URL`` / ``NATS_URL`` as shared fallbacks, and ``<VAR>_FILE`` for secrets (``libs.kit.settings``).
Exit status 0 when everything is at head, 1 otherwise (the job fails, the services do not start).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import nats
from nats.js import JetStreamContext
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from libs.events.streams import ensure_stream, stream_name
from libs.kit.logging import configure_logging
from libs.kit.migrations import SERVICES_WITH_DB, upgrade
from libs.kit.settings import ServiceSettings, service_env_settings
from libs.kit.singleton import singleton

log = logging.getLogger("migrate")

MIGRATED = SERVICES_WITH_DB
PUBLISHERS = tuple(s for s in SERVICES_WITH_DB if s != "gateway")  # one stream each; the gateway publishes none


async def migrate_service(settings: ServiceSettings) -> None:
    if not settings.database_url:
        raise SystemExit(f"{settings.service_name}: no database URL ({settings.service_name.upper()}_DATABASE_URL "
                         "or DATABASE_URL, or their _FILE)")
    engine = create_async_engine(settings.async_database_url, poolclass=pool.NullPool)
    try:
        async with singleton(engine, f"migrate:{settings.service_name}", wait=True):
            await asyncio.to_thread(upgrade, settings.service_name, settings.database_url)
    finally:
        await engine.dispose()
    log.info("migrated", extra={"migrated_service": settings.service_name})


async def provision_stream(settings: ServiceSettings) -> None:
    nc = await nats.connect(settings.nats_servers, connect_timeout=5, max_reconnect_attempts=3)
    try:
        js = nc.jetstream(timeout=10.0)
        await ensure_stream(js, settings.events_namespace, settings.service_name, replicas=settings.stream_replicas)
        await _raise_replicas(js, stream_name(settings.events_namespace, settings.service_name),
                              settings.stream_replicas)
    finally:
        await nc.close()


async def _raise_replicas(js: JetStreamContext, name: str, replicas: int) -> None:
    # ensure_stream leaves an existing stream alone; a single-node start later moved to a cluster needs R3.
    info = await js.stream_info(name)
    if (info.config.num_replicas or 1) < replicas:
        info.config.num_replicas = replicas
        await js.update_stream(info.config)
        log.info("stream replicas raised", extra={"stream": name, "replicas": replicas})


async def run(services: list[str], *, streams: bool) -> None:
    for service in services:
        await migrate_service(service_env_settings(service))
    if not streams:
        return
    for service in (s for s in services if s in PUBLISHERS):
        settings = service_env_settings(service)
        if settings.nats_url:
            await provision_stream(settings)
            log.info("stream provisioned", extra={"stream": stream_name(settings.events_namespace, service),
                                                  "replicas": settings.stream_replicas})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libs.kit.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--service", action="append", choices=MIGRATED,
                        help="only this service (repeatable); default: all")
    parser.add_argument("--no-streams", action="store_true", help="do not provision JetStream streams")
    args = parser.parse_args(argv)
    configure_logging("migrate")
    try:
        asyncio.run(run(args.service or list(MIGRATED), streams=not args.no_streams))
    except Exception:
        log.exception("migration failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
