"""标牌 downloads (附件3) for a member unit of an operating alliance: SVG or PDF, 60 cm × 40 cm."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from starlette.responses import Response

from libs.auth.deps import require_roles
from services.registry.api.deps import READERS, CtxDep
from services.registry.application import plaques
from services.registry.plaque.content import PlaqueContent
from services.registry.plaque.render import render_pdf, render_svg

router = APIRouter(prefix="/alliances/{alliance_id}/members/{institution_id}", tags=["plaques 标牌"])


def _disposition(content: PlaqueContent, suffix: str) -> dict[str, str]:
    name = f"{content.alliance_name}-{content.hospital_name}-标牌.{suffix}"
    return {"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}"}


@router.get("/plaque.svg", dependencies=[require_roles(*READERS)], response_class=Response,
            summary="标牌 SVG", responses={200: {"content": {"image/svg+xml": {}}, "description": "标牌"}})
async def plaque_svg(alliance_id: str, institution_id: str, ctx: CtxDep) -> Response:
    content = await plaques.content(ctx, alliance_id, institution_id)
    return Response(render_svg(content), media_type="image/svg+xml", headers=_disposition(content, "svg"))


@router.get("/plaque.pdf", dependencies=[require_roles(*READERS)], response_class=Response,
            summary="标牌 PDF", responses={200: {"content": {"application/pdf": {}}, "description": "标牌"}})
async def plaque_pdf(alliance_id: str, institution_id: str, ctx: CtxDep) -> Response:
    content = await plaques.content(ctx, alliance_id, institution_id)
    return Response(render_pdf(content), media_type="application/pdf", headers=_disposition(content, "pdf"))
