"""Where the quarter will land and how far to trust it: landing forecast, backtest, calibration.

* :func:`landing`: booked so far + open pipeline (time-to-win curves conditioned on each
  deal's stage and age, :mod:`.curves` over :mod:`.survival`, drawn in :mod:`.pipeline`)
  + leads not yet created (the simulation, :mod:`.new_leads`, with volumes from
  :mod:`.volume`);
* :func:`backtest`: every past quarter forecast again from what was known then, scored
  against what was booked (:mod:`.scoring`);
* :func:`calibration`: the backtest in plain words (:mod:`.calibration`).
"""

from __future__ import annotations

from alignlib.forecast.backtest import Backtest, PointScore, backtest, backtest_table
from alignlib.forecast.calibration import Calibration, calibration, calibration_sentences
from alignlib.forecast.curves import WinCurves, win_curves
from alignlib.forecast.landing import LandingForecast, landing, landing_from_table
from alignlib.forecast.scoring import Distribution, crps, pit
from alignlib.forecast.survival import CompetingRisks, competing_risks

__all__ = [
    "Backtest",
    "Calibration",
    "CompetingRisks",
    "Distribution",
    "LandingForecast",
    "PointScore",
    "WinCurves",
    "backtest",
    "backtest_table",
    "calibration",
    "calibration_sentences",
    "competing_risks",
    "crps",
    "landing",
    "landing_from_table",
    "pit",
    "win_curves",
]
