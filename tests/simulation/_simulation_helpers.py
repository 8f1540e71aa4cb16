"""Shared inputs and Monte Carlo tolerances for the simulation tests."""

from __future__ import annotations

import math

import numpy as np

K = 5  # standard errors allowed in every Monte Carlo comparison

STAGES = ["lead", "mql", "sal", "sql", "opportunity", "won"]
FIXED_RATES = [0.3, 0.6, 0.5, 0.5, 0.25]
COUNT_RATES = [(300, 1000), (60, 100), (25, 50), (20, 40), (10, 40)]


def within(estimate: float, exact: float, se: float) -> None:
    assert abs(estimate - exact) <= K * se, f"{estimate} vs {exact} (se {se})"


def variance_se(x: np.ndarray) -> float:
    """Standard error of the sample variance, from the sample's own fourth central moment."""
    d = x - x.mean()
    m4, m2 = np.mean(d**4), np.mean(d**2)
    return math.sqrt((m4 - m2**2) / x.shape[0])
