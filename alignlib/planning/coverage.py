"""Pipeline coverage: the target multiple against what the win rate implies."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignlib.planning.funnel import ReverseFunnel


@dataclass(frozen=True)
class Coverage:
    """Pipeline coverage: needed for the target multiple, and implied by the win rate."""

    stage: str
    coverage_target: float
    pipeline_needed: float
    planned_pipeline: float
    win_rate: float
    implied_coverage: float

    @property
    def target_below_implied(self) -> bool:
        """True when the coverage rule asks for less pipeline than the win rate needs."""
        return self.coverage_target < self.implied_coverage - 1e-9

    @property
    def message(self) -> str:
        """One sentence both VPs can read."""
        if self.target_below_implied:
            books = self.coverage_target / self.implied_coverage
            return (
                f"The {self.coverage_target:.1f}x coverage target is below the "
                f"{self.implied_coverage:.1f}x that the {self.win_rate:.0%} win rate implies: "
                f"{self.coverage_target:.1f}x pipeline books only about {books:.0%} of target."
            )
        return (
            f"The {self.coverage_target:.1f}x coverage target covers the "
            f"{self.implied_coverage:.1f}x that the {self.win_rate:.0%} win rate implies."
        )

    def to_dict(self) -> dict[str, Any]:
        """The check as plain values, for JSON.

        Returns
        -------
        dict
            Every field, in order, then ``target_below_implied`` and ``message``.
        """
        return {
            **asdict(self),
            "target_below_implied": self.target_below_implied,
            "message": self.message,
        }


def coverage_check(funnel: ReverseFunnel, stage: str, coverage_target: float) -> Coverage:
    """Pipeline needed for ``coverage_target`` x target, against what the win rate implies.

    The win rate is the product of the conversion rates from ``stage`` down to won;
    the coverage it implies is ``1 / win rate``.
    """
    i = funnel.stages.index(stage)
    win_rate = funnel.rate_to_won[i]
    return Coverage(
        stage=stage,
        coverage_target=coverage_target,
        pipeline_needed=coverage_target * funnel.target_revenue,
        planned_pipeline=funnel.required[i] * funnel.avg_deal_size,
        win_rate=win_rate,
        implied_coverage=1.0 / win_rate,
    )
