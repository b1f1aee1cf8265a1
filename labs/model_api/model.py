"""The house-price model: a numpy least-squares fit on a deterministic generated data set.

Training data: `N_SAMPLES` houses drawn with a fixed seed. Each location has its own base price and price
per square foot (`MARKETS`); every bedroom adds a shared premium; prices carry multiplicative noise.
The fit regresses price on a per-location intercept, a per-location price per sqft and a shared
bedroom coefficient (2 * locations + 1 columns) with `numpy.linalg.lstsq`.

Serving: a fitted model collapses to three numbers per location (intercept, per-sqft, per-bedroom),
precomputed as Python floats, so predicting one house is two multiplications and two additions with no
array allocated; `predict_batch` is the vectorised numpy path for many houses at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

DATA_SEED = 20240901
N_SAMPLES = 4000
BEDROOM_PREMIUM = 18_000.0
NOISE = 0.08

MARKETS: dict[str, tuple[float, float]] = {
    # location: (base price in USD, USD per square foot) used to generate the training data
    "AUS": (70_000.0, 300.0),
    "BOS": (110_000.0, 550.0),
    "CHI": (60_000.0, 200.0),
    "LA": (120_000.0, 600.0),
    "MIA": (80_000.0, 400.0),
    "NY": (150_000.0, 650.0),
    "SEA": (100_000.0, 500.0),
    "SF": (200_000.0, 800.0),
}
LOCATIONS: tuple[str, ...] = tuple(sorted(MARKETS))

SQFT_MIN, SQFT_MAX = 200.0, 20_000.0
BEDROOMS_MIN, BEDROOMS_MAX = 0, 20


@dataclass(frozen=True)
class TrainingSet:
    """Feature columns and prices of the generated houses."""

    sqft: np.ndarray
    bedrooms: np.ndarray
    location: np.ndarray  # index into LOCATIONS
    price: np.ndarray


def generate_training_set(n: int = N_SAMPLES, seed: int = DATA_SEED) -> TrainingSet:
    """`n` plausible houses, identical for identical arguments."""
    rng = np.random.default_rng(seed)
    location = rng.integers(0, len(LOCATIONS), size=n)
    sqft = np.clip(rng.lognormal(mean=np.log(1600.0), sigma=0.45, size=n), 350.0, 8000.0).round()
    bedrooms = np.clip(np.rint(sqft / 600.0 + rng.normal(0.0, 0.7, size=n)), 1, 8)
    base = np.array([MARKETS[loc][0] for loc in LOCATIONS])[location]
    per_sqft = np.array([MARKETS[loc][1] for loc in LOCATIONS])[location]
    clean = base + per_sqft * sqft + BEDROOM_PREMIUM * bedrooms
    price = clean * rng.lognormal(mean=0.0, sigma=NOISE, size=n)
    return TrainingSet(sqft=sqft, bedrooms=bedrooms, location=location, price=price)


def design_matrix(sqft: np.ndarray, bedrooms: np.ndarray, location: np.ndarray) -> np.ndarray:
    """Columns: one-hot location (intercepts), one-hot location * sqft (slopes), bedrooms."""
    one_hot = np.zeros((len(sqft), len(LOCATIONS)))
    one_hot[np.arange(len(sqft)), location] = 1.0
    return np.hstack([one_hot, one_hot * sqft[:, None], bedrooms[:, None]])


@dataclass(frozen=True)
class PriceModel:
    """A fitted model: per-location intercept and price per sqft, one bedroom coefficient."""

    intercept: np.ndarray  # per location, USD
    per_sqft: np.ndarray  # per location, USD per square foot
    per_bedroom: float  # USD
    r2: float
    rmse: float
    n_samples: int
    version: str

    def __post_init__(self) -> None:
        # Plain-float coefficients per location: one prediction touches no numpy machinery.
        table = {loc: (float(self.intercept[i]), float(self.per_sqft[i])) for i, loc in enumerate(LOCATIONS)}
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_per_bedroom", float(self.per_bedroom))

    def predict(self, sqft: float, bedrooms: int, location: str) -> float:
        """The price in USD of one house (`location` must be one of `LOCATIONS`)."""
        intercept, per_sqft = self._table[location]  # type: ignore[attr-defined]
        return intercept + per_sqft * sqft + self._per_bedroom * bedrooms  # type: ignore[attr-defined]

    def predict_batch(self, sqft: np.ndarray, bedrooms: np.ndarray, location: np.ndarray) -> np.ndarray:
        """Prices in USD of many houses at once; `location` holds indices into `LOCATIONS`."""
        return self.intercept[location] + self.per_sqft[location] * sqft + self.per_bedroom * bedrooms

    def to_dict(self) -> dict[str, object]:
        """The fitted coefficients and fit quality, JSON-ready."""
        return {
            "version": self.version,
            "kind": "least squares (numpy.linalg.lstsq)",
            "n_samples": self.n_samples,
            "r2": round(self.r2, 4),
            "rmse_usd": round(self.rmse, 2),
            "per_bedroom_usd": round(self.per_bedroom, 2),
            "locations": {
                loc: {"intercept_usd": round(float(a), 2), "per_sqft_usd": round(float(b), 2)}
                for loc, a, b in zip(LOCATIONS, self.intercept, self.per_sqft, strict=True)
            },
        }


def fit(data: TrainingSet | None = None) -> PriceModel:
    """Fit the model by least squares on `data` (the default generated set when None)."""
    data = generate_training_set() if data is None else data
    x = design_matrix(data.sqft, data.bedrooms, data.location)
    coef, *_ = np.linalg.lstsq(x, data.price, rcond=None)
    residuals = data.price - x @ coef
    r2 = 1.0 - float(residuals @ residuals) / float(((data.price - data.price.mean()) ** 2).sum())
    n_loc = len(LOCATIONS)
    digest = hashlib.sha256(np.round(coef, 2).tobytes()).hexdigest()[:8]
    return PriceModel(
        intercept=coef[:n_loc].copy(),
        per_sqft=coef[n_loc : 2 * n_loc].copy(),
        per_bedroom=float(coef[-1]),
        r2=r2,
        rmse=float(np.sqrt(np.mean(residuals**2))),
        n_samples=len(data.price),
        version=f"lstsq-1.{digest}",
    )
