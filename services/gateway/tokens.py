"""Mint a platform JWT for local use (HS256 dev key): ``python -m services.gateway.tokens mint --role doctor ...``.

Refused outside ``GATEWAY_ENVIRONMENT=local|test``: production tokens come from the WeChat login or the
identity provider, never from a shell.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from pydantic import ValidationError

from libs.auth.principal import Principal, Role
from libs.kit.clock import SystemClock
from services.gateway.auth.issuer import TokenIssuer
from services.gateway.auth.tokens import REQUIRED_SCOPE
from services.gateway.settings import GatewaySettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.gateway.tokens", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("mint", help="print a signed token")
    mint.add_argument("--role", required=True, choices=[r.value for r in Role])
    mint.add_argument("--sub", required=True, help="subject: the user or system id")
    for scope in ("alliance-id", "institution-id", "region-code", "doctor-id"):
        mint.add_argument(f"--{scope}")
    mint.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    return parser


def mint(argv: list[str], settings: GatewaySettings | None = None) -> str:
    args = _parser().parse_args(argv)
    try:
        settings = settings or GatewaySettings()
    except ValidationError as exc:
        raise SystemExit(f"tokens: gateway settings invalid ({exc.error_count()} error(s)); local use only") from exc
    if not settings.is_dev:
        raise SystemExit("tokens: refused outside GATEWAY_ENVIRONMENT=local|test")
    role = Role(args.role)
    principal = Principal(sub=args.sub, role=role, alliance_id=args.alliance_id, institution_id=args.institution_id,
                          region_code=args.region_code, doctor_id=args.doctor_id)
    needed = REQUIRED_SCOPE.get(role)
    if needed and not getattr(principal, needed):
        raise SystemExit(f"tokens: role {role.value} needs --{needed.replace('_', '-')}")
    return TokenIssuer(settings, SystemClock()).mint(principal, ttl=timedelta(seconds=args.ttl))


if __name__ == "__main__":
    print(mint(sys.argv[1:]))
