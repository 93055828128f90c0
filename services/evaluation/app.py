"""Composition root of the evaluation service: builds the runtime and the app. Nothing is built at import time."""

from __future__ import annotations

from fastapi import FastAPI

from libs.kit.app import create_service_app
from libs.kit.idempotency import install_idempotency
from libs.kit.runtime import ServiceRuntime
from services.evaluation.api import routers
from services.evaluation.consumers import consumer_specs
from services.evaluation.persistence.tables import events
from services.evaluation.settings import EvaluationSettings

DESCRIPTION = (
    "绩效评价：评价框架（数据化、分版本）、评价年度与统计填报、评分表（一票否决、同比扣分，逐项可追溯）、"
    "连续两年不合格的解散建议、历年与辖区对比及导出（XLSX/PDF）、报送任务与工作目标、成员单位年度评价（集体积分）、"
    "优秀案例征集与评审、医联体活动及积分事实（R03c）。"
)


def create_app(settings: EvaluationSettings | None = None, runtime: ServiceRuntime | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    runtime = runtime or ServiceRuntime(settings=settings, tables=events, consumer_specs=consumer_specs())
    app = create_service_app(runtime, title="evaluation", description=DESCRIPTION, routers=routers())
    install_idempotency(app)
    return app
