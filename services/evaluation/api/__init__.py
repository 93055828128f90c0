"""HTTP API of the evaluation service (绩效评价). Every route checks the caller's role and scope itself."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.evaluation.api import (
        activities,
        club,
        comparison,
        competitions,
        frameworks,
        judging,
        periods,
        reporting,
        scorecards,
    )

    return [frameworks.router, periods.router, scorecards.router, comparison.router, reporting.router,
            club.router, competitions.router, judging.router, activities.router]
