"""Request building blocks shared by the routers: strict, bounded, no floats, no unknown fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
MetricName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
FrameworkId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
ShortText = Annotated[str, StringConstraints(max_length=64)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
DocRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Year = Annotated[int, Field(ge=2000, le=2100)]
Version = Annotated[int, Field(ge=1, le=10_000)]
# A statistic: 是/否, an integer, a decimal string ("1.05", "89.9"), or a list of dates or keys. Never a float.
BigInt = Annotated[StrictInt, Field(ge=-(10**15), le=10**15)]
DecimalText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=24)]
StatValue = StrictBool | BigInt | DecimalText | Annotated[list[ShortText], Field(max_length=400)]


class Strict(BaseModel):
    """Every request body: unknown fields (mass assignment) are refused with 422."""

    model_config = ConfigDict(extra="forbid")
