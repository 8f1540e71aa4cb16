"""``alignlib validate PARAMS.yaml ...``: check parameters files and say what is wrong."""

from __future__ import annotations

import argparse
from typing import Any

from alignlib.cli._runner import Outcome, Text, Verb

DESCRIPTION = """\
check parameters files

Check one or more quarter parameters files; print 'ok' or every problem.
"""

VERB = Verb(
    "validate", DESCRIPTION, json_help="print one JSON object: each file, ok or its problems"
)


def options(parser: argparse.ArgumentParser) -> None:
    """The ``validate`` options."""
    parser.add_argument("params", nargs="+", help="parameters YAML file(s)")


def run(args: argparse.Namespace) -> Outcome:
    """Check each file; exit 2 if any fails (each failure is a note naming its problems)."""
    from alignlib.errors import ParamsError
    from alignlib.history.learning import load_learned

    out = Text()
    files: list[dict[str, Any]] = []
    notes: list[str] = []
    for path in args.params:
        try:
            p = load_learned(path)
        except ParamsError as exc:
            notes.append(f"error: {exc}")
            problems = [{"location": x.location, "message": x.message} for x in exc.problems]
            files.append({"path": path, "ok": False, "problems": problems})
            continue
        files.append(
            {
                "path": path,
                "ok": True,
                "quarter": p.quarter,
                "segment": p.segment,
                "stages": len(p.stages),
                "channels": len(p.channels),
                "scenarios": len(p.scenarios),
                "experiments": len(p.experiments),
                "learned": list(p.learned_keys),
            }
        )
        out.line(
            f"ok: {path} ({p.quarter}, segment {p.segment}: {len(p.stages)} stages, "
            f"{len(p.channels)} channels, {len(p.scenarios)} scenarios, "
            f"{len(p.experiments)} experiments)"
        )
        if p.learned is not None:
            _learned(out, p)
        if p.sales_team is not None and p.sales_team.attainment is None:
            _attainment(out, p)
    return Outcome({"files": files}, str(out), code=2 if notes else 0, notes=tuple(notes))


def _attainment(out: Text, params: Any) -> None:
    """Say what attainment the actuals teach the team (or why they cannot)."""
    from alignlib.errors import InputError
    from alignlib.format import count, money, pct
    from alignlib.planning.annual import team_attainment

    try:
        _, _, learned = team_attainment(params)
    except InputError as exc:
        out.line(f"  {exc}")
        return
    assert learned is not None
    out.line(
        f"  sales_team.attainment: {pct(learned.attainment, 1)} learned from the actuals' "
        f"bookings per owner ({money(learned.bookings, params.currency)} over "
        f"{count(learned.owner_quarters)} owner-quarters, {learned.quarters[0]} to "
        f"{learned.quarters[-1]})"
    )


def _learned(out: Text, params: Any) -> None:
    """Say what a file left to the actuals and what they taught, from how many contacts."""
    from alignlib.format import count, money, pct, stage_label

    learned = params.learned
    out.line(
        f"  learned from the actuals as of {learned.as_of.date()} "
        f"({count(learned.contacts)} contacts in {learned.cohorts_note()}): "
        f"{', '.join(params.learned_keys)}"
    )
    if "conversion_rates" in params.learned_keys:
        for stage, (converted, total) in learned.rates.items():
            out.line(
                f"    conversion_rates.{stage}: {pct(converted / total, 1)} "
                f"({count(converted)} of {count(total)} {stage_label(stage)})"
            )
    if "lag_days" in params.learned_keys:
        for stage, lag in learned.lags.items():
            out.line(
                f"    lag_days.{stage}: {lag.typical:.1f} days typical, "
                f"{lag.spread:.1f} spread ({count(lag.n)} contacts)"
            )
    if "deal_size" in params.learned_keys and learned.deal_size is not None:
        d = learned.deal_size
        out.line(
            f"    deal_size: {money(d.mean, params.currency)} mean, "
            f"{money(d.spread, params.currency)} spread ({count(d.n)} won deals)"
        )
    if "channels" in params.learned_keys:
        for name, ch in params.channels.items():
            cost = "" if ch.cost_per_lead is None else f", {money(ch.cost_per_lead)} per lead"
            out.line(f"    channels.{name}: {pct(ch.share, 1)} of leads{cost}")
