"""How good a forecast given as samples was, once the truth is known: quantiles, PIT, CRPS.

The continuous ranked probability score of an ensemble is ``E|X - y| - E|X - X'| / 2``
(Gneiting and Raftery 2007), computed exactly from the sorted samples; it is in the
forecast's unit (money here) and smaller is better. The probability integral transform
(PIT) is where the truth fell in the forecast's distribution: uniform for a calibrated
forecast.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from alignlib.docstrings import shared_doc

#: The quantiles a forecast is summarised by.
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)


@dataclass(frozen=True)
class Distribution:
    """A forecast's summary: quantiles and mean.

    Attributes
    ----------
    p10, p25, p50, p75, p90 : float
        Quantiles.
    mean : float
        Mean.
    """

    p10: float
    p25: float
    p50: float
    p75: float
    p90: float
    mean: float

    @classmethod
    def of(cls, samples: np.ndarray) -> Distribution:
        """Summarise samples.

        Parameters
        ----------
        samples : ndarray
            Draws of the quantity (at least one).

        Returns
        -------
        Distribution
        """
        x = np.asarray(samples, dtype=float)
        p10, p25, p50, p75, p90 = (float(v) for v in np.quantile(x, QUANTILES))
        return cls(p10=p10, p25=p25, p50=p50, p75=p75, p90=p90, mean=float(x.mean()))

    def to_dict(self) -> dict[str, Any]:
        """``{p10, p25, p50, p75, p90, mean}``.

        Returns
        -------
        dict
        """
        return dataclasses.asdict(self)


#: The Parameters entry of every score: the outcome the forecast is judged against.
_SCORED = shared_doc(parameters={"actual : float": "What happened."})


@_SCORED
def crps(samples: np.ndarray, actual: float) -> float:
    """Continuous ranked probability score of an ensemble (exact, from sorted samples).

    Parameters
    ----------
    samples : ndarray
        Forecast draws (at least one).

    Returns
    -------
    float
        ``mean|x_i - y| - sum_ij |x_i - x_j| / (2 n^2)``; 0 for a point forecast that
        was right.
    """
    x = np.sort(np.asarray(samples, dtype=float))
    n = len(x)
    first = float(np.abs(x - actual).mean())
    # sum_ij |x_i - x_j| = 2 sum_i (2i - n - 1) x_(i), i = 1..n
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    spread = 2.0 * float(weights @ x) / (n * n)
    return first - spread / 2.0


@_SCORED
def pit(samples: np.ndarray, actual: float) -> float:
    """Where the actual fell in the forecast: share of draws below it (ties count half).

    Parameters
    ----------
    samples : ndarray
        Forecast draws.

    Returns
    -------
    float
        In [0, 1].
    """
    x = np.asarray(samples, dtype=float)
    return float(((x < actual).sum() + 0.5 * (x == actual).sum()) / len(x))


@_SCORED
def inside(low: float, high: float, actual: float) -> bool:
    """Whether ``actual`` lies in ``[low, high]``.

    Parameters
    ----------
    low : float
        The interval's lower end.
    high : float
        The interval's upper end.

    Returns
    -------
    bool
    """
    return bool(low <= actual <= high)
