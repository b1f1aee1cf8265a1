"""Request and response bodies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labs.model_api.model import BEDROOMS_MAX, BEDROOMS_MIN, LOCATIONS, SQFT_MAX, SQFT_MIN

Location = Literal[LOCATIONS]  # type: ignore[valid-type]


class PredictIn(BaseModel):
    """One house, exactly the tutorial's payload: {"sqft": 1500, "bedrooms": 3, "location": "NY"}."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"sqft": 1500, "bedrooms": 3, "location": "NY"}]},
    )

    sqft: Annotated[
        float,
        Field(
            strict=True, ge=SQFT_MIN, le=SQFT_MAX, allow_inf_nan=False, description="Living area, square feet"
        ),
    ]
    bedrooms: Annotated[
        int, Field(strict=True, ge=BEDROOMS_MIN, le=BEDROOMS_MAX, description="Number of bedrooms")
    ]
    location: Annotated[Location, Field(description=f"One of {', '.join(LOCATIONS)}")]


class PredictOut(BaseModel):
    """A predicted price and where it came from."""

    price: float = Field(description="Predicted price, USD")
    currency: Literal["USD"] = "USD"
    model_version: str
    cached: bool = Field(description="True when answered from the --cache LRU cache")
    worker: int = Field(description="Worker number (0..workers-1)")
    pid: int = Field(description="Process id of the worker that answered")


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
    worker: int
    pid: int


class ErrorOut(BaseModel):
    """Any error: `detail` says what went wrong."""

    detail: Any
    message: str | None = None
