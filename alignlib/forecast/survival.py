"""Competing-risks survival on integer days: the Aalen-Johansen estimator in numpy.

A deal in a stage leaves it for one of several destinations (the next stage, a later
stage, lost) or is still there when the data ends (censored: it may leave later, it is
neither won nor lost). On daily bins the cause-specific hazards are ``events / at risk``
and the Aalen-Johansen cumulative incidence of each cause is the sum of
``S(t - 1) * hazard(t)``; with one cause it is one minus Kaplan-Meier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignlib.errors import InputError


@dataclass(frozen=True)
class CompetingRisks:
    """Aalen-Johansen estimates on days ``0 .. days`` (arrays are read-only).

    Attributes
    ----------
    at_risk : ndarray of int, shape (days + 1,)
        Subjects with a duration of at least ``t`` days.
    events : ndarray of int, shape (causes, days + 1)
        Subjects leaving on day ``t`` for each cause (cause ``c`` is row ``c - 1``).
    survival : ndarray, shape (days + 1,)
        ``S(t) = P(T > t)``: still in the state after day ``t``.
    density : ndarray, shape (causes, days + 1)
        ``P(T = t, cause = c)``.
    """

    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray
    density: np.ndarray

    @property
    def days(self) -> int:
        """Last day estimated."""
        return int(self.survival.shape[0] - 1)

    @property
    def cumulative_incidence(self) -> np.ndarray:
        """``P(T <= t, cause = c)``, shape (causes, days + 1)."""
        return np.cumsum(self.density, axis=1)

    def survival_before(self, t: np.ndarray) -> np.ndarray:
        """``S(t - 1) = P(T >= t)`` for integer days ``t`` (1 for ``t <= 0``, last value beyond).

        Parameters
        ----------
        t : ndarray of int
            Days.

        Returns
        -------
        ndarray
        """
        t = np.asarray(t, dtype=np.int64)
        padded = np.concatenate([[1.0], self.survival])
        return padded[np.clip(t, 0, self.days + 1)]

    def to_frame(self) -> pd.DataFrame:
        """One row per day: at risk, survival, and each cause's events and incidence.

        Returns
        -------
        pandas.DataFrame
        """
        out = pd.DataFrame({"at_risk": self.at_risk, "survival": self.survival})
        cif = self.cumulative_incidence
        for c in range(self.events.shape[0]):
            out[f"events_{c + 1}"] = self.events[c]
            out[f"incidence_{c + 1}"] = cif[c]
        out.index.name = "day"
        return out


def competing_risks(
    durations: np.ndarray, causes: np.ndarray, n_causes: int, days: int | None = None
) -> CompetingRisks:
    """Aalen-Johansen cumulative incidences from integer durations and causes.

    Parameters
    ----------
    durations : ndarray of int
        Days until the event or the censoring (>= 0).
    causes : ndarray of int
        0 for censored, ``1 .. n_causes`` for the cause of the event.
    n_causes : int
        Number of causes (>= 1).
    days : int, optional
        Last day to estimate (default the longest duration). Longer durations are
        censored at ``days``.

    Returns
    -------
    CompetingRisks
        With no subjects, survival 1 and no events. After the last subject leaves the
        risk set the survival stays where it was (no events can be estimated there).

    Raises
    ------
    InputError
        Negative durations, causes outside ``0 .. n_causes``, or mismatched lengths.
    """
    d = np.asarray(durations, dtype=np.int64)
    c = np.asarray(causes, dtype=np.int64)
    if d.shape != c.shape or d.ndim != 1:
        raise InputError("competing_risks: durations and causes must be 1-d of equal length")
    if n_causes < 1:
        raise InputError(f"competing_risks: n_causes={n_causes} must be >= 1")
    if len(d) and (d.min() < 0):
        raise InputError("competing_risks: durations must be >= 0")
    if len(c) and (c.min() < 0 or c.max() > n_causes):
        raise InputError(f"competing_risks: causes must lie in 0 .. {n_causes}")
    last = int(d.max(initial=0)) if days is None else int(days)
    beyond = d > last
    c = np.where(beyond, 0, c)
    d = np.minimum(d, last)
    n = last + 1
    leaving = np.bincount(d, minlength=n)
    at_risk = leaving[::-1].cumsum()[::-1]
    events = np.zeros((n_causes, n), dtype=np.int64)
    for k in range(1, n_causes + 1):
        events[k - 1] = np.bincount(d[c == k], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        hazards = np.where(at_risk > 0, events / np.maximum(at_risk, 1), 0.0)
    survival = np.cumprod(1.0 - hazards.sum(axis=0))
    before = np.concatenate([[1.0], survival[:-1]])
    density = before * hazards
    for a in (at_risk, events, survival, density):
        a.flags.writeable = False
    return CompetingRisks(at_risk=at_risk, events=events, survival=survival, density=density)
