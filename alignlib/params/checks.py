"""Checks that span fields: stage references, completeness, shares that split a whole, files."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignlib.errors import Problem

if TYPE_CHECKING:
    from alignlib.params.schema import QuarterParams

#: How far shares (channel mix, monthly phasing, experiment split) may miss 1, everywhere.
SHARE_TOLERANCE = 1e-6


def shares_sum_to_one(shares: Iterable[float]) -> str | None:
    """Check that shares are a split of a whole: none negative, summing to 1.

    Parameters
    ----------
    shares : iterable of float
        Channel shares, monthly phasing or an experiment's expected split.

    Returns
    -------
    str or None
        What is wrong, or None when they are a valid split (within :data:`SHARE_TOLERANCE`).
    """
    values = [float(x) for x in shares]
    if any(x < 0 for x in values):
        return "shares must not be negative"
    total = math.fsum(values)
    # Rounded first, so a sum exactly at the tolerance (0.999999) passes however it was added.
    if round(abs(total - 1.0), 12) > SHARE_TOLERANCE:
        return f"shares must sum to 1 (they sum to {total:.10g})"
    return None


#: Names the plan and metrics tables use for their own columns beside one column per stage;
#: a stage cannot take one (its label, which pages print, can be anything).
RESERVED_STAGE_NAMES = frozenset(
    {
        "label", "share", "leads", "cost_per_lead", "budget", "bookings", "deal_size",
        "rate_to_won", "cac", "rate_source", "deal_size_source", "complete", "age_days",
        "maturing", "month", "quarter", "total", "channel", "stage", "plan", "actual",
        "variance", "attainment", "projected", "plan_total", "cohort",
    }
)  # fmt: skip


def _cross_checks(p: QuarterParams) -> list[Problem]:
    """Checks that span fields: stage references, completeness, shares, files."""
    problems: list[Problem] = []
    names = p.stage_names
    known = ", ".join(names)

    if len(names) < 2:
        problems.append(Problem("stages", "the funnel needs at least two stages"))
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(Problem("stages", f"stage names repeat: {', '.join(duplicates)}"))
    for i, name in enumerate(names):
        if name in RESERVED_STAGE_NAMES:
            problems.append(
                Problem(
                    f"stages.{i}.name",
                    f"{name!r} names a column of the plan's tables; call the stage e.g. "
                    f"'{name}_stage' (its label can still read {name.replace('_', ' ').title()!r})",
                )
            )
    transitions = names[:-1]

    def check_keys(section: str, keys: Mapping[str, Any], *, complete: bool) -> None:
        for key in keys:
            if key not in names:
                hint = difflib.get_close_matches(key, names, n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                problems.append(
                    Problem(f"{section}.{key}", f"unknown stage{extra} (stages are {known})")
                )
            elif key == names[-1]:
                problems.append(
                    Problem(
                        f"{section}.{key}",
                        f"{key!r} is the last stage: it converts into nothing",
                    )
                )
        if complete:
            missing = [s for s in transitions if s not in keys]
            if missing:
                problems.append(
                    Problem(
                        section,
                        f"missing for stage(s) {', '.join(missing)} (one per stage but the last)",
                    )
                )

    check_keys("conversion_rates", p.conversion_rates, complete=True)
    if p.lag_days:
        check_keys("lag_days", p.lag_days, complete=True)

    if p.channels and (problem := shares_sum_to_one(c.share for c in p.channels.values())):
        problems.append(Problem("channels", f"channel {problem}"))
    for name, channel in p.channels.items():
        check_keys(f"channels.{name}.conversion_rates", channel.conversion_rates, complete=False)
    if p.channels and sum(c.min_share for c in p.channels.values()) > 1 + SHARE_TOLERANCE:
        problems.append(Problem("channels", "the channels' min_share add up to more than 1"))

    if p.pipeline.stage not in transitions:
        problems.append(
            Problem(
                "pipeline.stage", f"{p.pipeline.stage!r} is not a stage before the last ({known})"
            )
        )
    if p.capacity is not None and p.capacity.handoff_stage not in names:
        problems.append(
            Problem(
                "capacity.handoff_stage",
                f"unknown stage {p.capacity.handoff_stage!r} (stages are {known})",
            )
        )

    if p.actuals is not None:
        a = p.actuals
        for key in ("crm_export", "opportunities", "leads", "spend"):
            value = getattr(a, key)
            if value is not None and (wrong := _data_file_problem(value)):
                problems.append(Problem(f"actuals.{key}", wrong))
        if a.deals is not None and (wrong := _data_file_problem(a.deals.file)):
            problems.append(Problem("actuals.deals.file", wrong))
        for key, value in [
            *(("columns." + k, k) for k in a.columns),
            *(("deals.columns." + k, k) for k in (a.deals.columns if a.deals else {})),
        ]:
            if value.startswith("entered_") and value[8:] not in names:
                problems.append(
                    Problem(f"actuals.{key}", f"unknown stage {value[8:]!r} (stages are {known})")
                )
        for label, stage in a.stage_mapping.items():
            if stage is not None and stage not in names:
                problems.append(
                    Problem(
                        f"actuals.stage_mapping.{label}",
                        f"unknown stage {stage!r} (stages are {known})",
                    )
                )

    seen: set[str] = set()
    for i, exp in enumerate(p.experiments):
        where = f"experiments.{i}"
        if exp.name in seen:
            problems.append(Problem(f"{where}.name", f"experiment name {exp.name!r} is used twice"))
        seen.add(exp.name)
        if exp.stage not in transitions:
            problems.append(
                Problem(
                    f"{where}.stage",
                    f"{exp.stage!r} is not a stage that converts into a next one ({', '.join(transitions)})",
                )
            )
        if exp.export is not None and (wrong := _data_file_problem(exp.export)):
            problems.append(Problem(f"{where}.export", wrong))

    for name, scenario in p.scenarios.items():
        bad = sorted(set(scenario.overrides) & {"quarter", "segment", "scenarios", "extends"})
        if bad:
            problems.append(
                Problem(f"scenarios.{name}.overrides", f"cannot override {', '.join(bad)}")
            )
    team = p.sales_team
    if team is not None and team.attainment is None and p.actuals is None:
        problems.append(
            Problem(
                "sales_team.attainment",
                "give the share of quota a ramped rep books (e.g. 0.8); without an actuals: "
                "section there are no bookings per owner to learn it from",
            )
        )
    own = p.targets.get(p.quarter)
    if own is not None and abs(own - p.target.bookings) > 1e-6 * max(own, 1.0):
        problems.append(
            Problem(
                f"targets.{p.quarter}",
                f"{own:,.0f} differs from target.bookings ({p.target.bookings:,.0f}) for the "
                "same quarter; give the quarter's target once",
            )
        )
    if not math.isfinite(p.target.bookings):
        problems.append(Problem("target.bookings", "must be a finite amount"))
    return problems


def _data_file_problem(value: str | Path) -> str:
    """What is wrong with a data file the parameters name ("" when it is a regular file).

    A FIFO hangs a reader and a device (``/dev/zero``) never ends: both are refused at
    load, before anything reads them.
    """
    from alignlib.errors import DataError
    from alignlib.files import check_regular_file

    if not Path(value).exists():
        return f"file not found: {value}"
    try:
        check_regular_file(value, what="a data file (CSV or Parquet)")
    except DataError as exc:
        return f"{value} {exc.reason}"
    return ""
