"""The quarter snapshot: every shared figure of one segment, computed once, read by every page.

One params file and one data date give one :class:`QuarterSnapshot`: the actuals read
once and what they taught (the learned parameters), the plan, the odds at plan time, the
landing as of the data date, the scorecard's week and the experiment readouts. The batch
computes it once per segment and saves it beside the pages (``snapshot.json`` and the
tables as Parquet); every notebook, the index, the e-mail, the CLI and the what-if
panel's base state read their figures from it, so a figure shown on two pages is the same
number. :class:`QuarterNumbers` is the headline every report's summary carries as
``quarter_numbers``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from alignlib.docstrings import TARGET_DOC
from alignlib.errors import AlignError, InputError
from alignlib.files import atomic_path, atomic_write_bytes, atomic_write_text
from alignlib.format import count, money_compact, pct, to_json

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.planning import QuarterPlan
    from alignlib.reports.forecast import LandingView
    from alignlib.reports.scorecard import Scorecard
    from alignlib.simulation import ConfidencePlan, SimulationResult

#: Where the quarter stands on its data date.
Phase = Literal["no_actuals", "before", "during", "after"]

#: File names of a saved snapshot, in its folder.
SNAPSHOT_JSON = "snapshot.json"
SNAPSHOT_TABLES = "snapshot"
#: The whole object, for the notebooks of the same run (never published: it holds the
#: normalised CRM table).
SNAPSHOT_PICKLE = "snapshot.pickle"

#: Version of the snapshot's layout; a reader refuses another.
SNAPSHOT_VERSION = 1

#: Most common random numbers for the confidence-sized plan: its bisection re-runs the
#: quarter at each lead volume, and 20,000 trials put its leads within about 1% already.
CONFIDENCE_TRIALS = 20_000


@TARGET_DOC
@dataclass(frozen=True)
class QuarterNumbers:
    """The quarter's headline figures, named the same on every page and in every summary.

    Attributes
    ----------
    quarter, segment, currency : str
        What the figures are for.
    as_of : datetime.date or None
        The data date: the last day the actuals cover (None without actuals).
    phase : {"no_actuals", "before", "during", "after"}
        Where the quarter stands on the data date.
    booked : float
        Won inside the quarter up to the data date (0 before it starts).
    wins : int
        Deals won inside the quarter up to the data date.
    landing_p10, landing_p50, landing_p90 : float
        Where the quarter will land: pessimistic, most likely, optimistic (the landing
        forecast inside the quarter; the plan's simulation before it; what was booked
        after it).
    p_hit : float
        The chance of reaching the target as of the data date (the live one).
    p_hit_at_plan : float
        The chance the plan gives at its required leads (the plan-time figure).
    required_leads : int
        Leads the plan needs.
    budget : float or None
        The plan's marketing budget (None when a channel's cost per lead is unknown).
    """

    quarter: str
    segment: str
    currency: str
    as_of: dt.date | None
    phase: Phase
    target: float
    booked: float
    wins: int
    landing_p10: float
    landing_p50: float
    landing_p90: float
    p_hit: float
    p_hit_at_plan: float
    required_leads: int
    budget: float | None

    @property
    def gap(self) -> float:
        """What is still to book: the target less what is booked (0 once reached)."""
        return max(self.target - self.booked, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: the block every report summary carries as ``quarter_numbers``.

        Returns
        -------
        dict
            The fields, with ``as_of`` as ISO text and ``gap``.
        """
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        out["gap"] = self.gap
        if self.budget is not None and not math.isfinite(self.budget):
            out["budget"] = None
        return out

    @classmethod
    def from_dict(cls, block: dict[str, Any]) -> QuarterNumbers:
        """The headline back from a summary's ``quarter_numbers`` block.

        Parameters
        ----------
        block : dict
            What :meth:`to_dict` wrote.

        Returns
        -------
        QuarterNumbers
        """
        names = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in block.items() if k in names}
        as_of = values.get("as_of")
        values["as_of"] = dt.date.fromisoformat(as_of) if as_of else None
        return cls(**values)

    @property
    def wins_text(self) -> str:
        """``1 deal``, ``49 deals``."""
        return f"{count(self.wins)} deal{'' if self.wins == 1 else 's'}"

    @property
    def as_of_text(self) -> str:
        """The data date as pages write it (``19 Nov 2026``), or ``no actuals``."""
        return f"{self.as_of.day} {self.as_of:%b %Y}" if self.as_of else "no actuals"

    def chance_text(self, *, dated: bool = True) -> str:
        """The chance as every page writes it: live, with the plan-time figure beside it.

        Parameters
        ----------
        dated : bool
            Name the data date inside the quarter (``False`` where it stands beside).

        Returns
        -------
        str
            ``"36% as of 19 Nov 2026 (43% at plan time)"`` inside the quarter; ``"43%"``
            before it (the two are the same number then); ``reached`` or ``missed`` after.
        """
        if self.phase == "during":
            when = f" as of {self.as_of_text}" if dated else ""
            return f"{pct(self.p_hit)}{when} ({pct(self.p_hit_at_plan)} at plan time)"
        if self.phase == "after":
            return "reached" if self.p_hit >= 1 else "missed"
        return pct(self.p_hit)

    def sentence(self) -> str:
        """The page's answer in one line.

        Returns
        -------
        str
            Inside the quarter: booked, most likely landing, its range, the chance.
            Before it: the plan's leads and the chance. After it: what was booked.
        """
        cur = self.currency
        target = money_compact(self.target, cur)
        if self.phase == "during":
            return (
                f"As of {self.as_of_text}: {money_compact(self.booked, cur)} booked "
                f"({self.wins_text}); most likely landing "
                f"{money_compact(self.landing_p50, cur)} (likely range "
                f"{money_compact(self.landing_p10, cur)} to "
                f"{money_compact(self.landing_p90, cur)}); {pct(self.p_hit)} chance of "
                f"{target} ({pct(self.p_hit_at_plan)} at plan time)."
            )
        if self.phase == "after":
            verb = "reached" if self.booked >= self.target else "missed"
            return (
                f"{self.quarter} has ended: {money_compact(self.booked, cur)} booked "
                f"({self.wins_text}), {verb} the target of {target}."
            )
        when = f" (data to {self.as_of_text})" if self.as_of else ""
        return (
            f"Plan for {self.quarter}{when}: {count(self.required_leads)} leads for {target}; "
            f"{pct(self.p_hit)} chance of hitting it, most likely landing "
            f"{money_compact(self.landing_p50, cur)}."
        )


@dataclass(frozen=True)
class QuarterSnapshot:
    """Everything the pages of one segment show, computed once from one data date.

    Attributes
    ----------
    params : QuarterParams
        The learned parameters (:func:`alignlib.history.learning.learn_params`): they hold the
        actuals as read, so nothing downstream reads the export again.
    numbers : QuarterNumbers
        The headline.
    plan : QuarterPlan
        The reverse funnel, months, channels, coverage and capacity.
    at_plan : SimulationResult
        The quarter simulated at the plan's leads (the plan-time odds).
    confidence_plan : ConfidencePlan
        Leads for the params' confidence.
    landing : LandingView
        The landing forecast as of the data date, or why it is left out.
    scorecard : Scorecard
        The week's KPIs (quarter to date runs to the data date).
    readouts : tuple
        The experiments' readouts.
    trials, seed : int
        What the simulations ran with.
    problems : dict
        Part -> why it could not be computed (its pages say so; the others render).
    """

    params: QuarterParams
    numbers: QuarterNumbers
    plan: QuarterPlan
    at_plan: SimulationResult
    confidence_plan: ConfidencePlan | None
    landing: LandingView
    scorecard: Scorecard | None
    readouts: tuple[Any, ...]
    trials: int
    seed: int | None
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def as_of(self) -> dt.date | None:
        """The data date."""
        return self.numbers.as_of

    @property
    def ingest(self) -> Any:
        """The actuals as read (:class:`alignlib.crm.IngestResult`), or None."""
        history = self.params.history
        return None if history is None else history.ingest

    def require(self, part: str) -> Any:
        """A part of the snapshot, or the error that kept it from being computed.

        Parameters
        ----------
        part : str
            ``readouts``, ``scorecard`` or ``confidence_plan``.

        Returns
        -------
        object
            The part.

        Raises
        ------
        InputError
            With the reason, when the part could not be computed.
        """
        if part in self.problems:
            raise InputError(self.problems[part])
        return getattr(self, part)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The snapshot's tables, as saved beside the pages (raw numbers).

        Returns
        -------
        dict
            Name -> DataFrame: ``plan``, ``monthly_plan``, ``channels``, ``landing``,
            ``scorecard``, ``experiments`` (each when there is one).
        """
        from alignlib import reports

        out = {
            "plan": reports.plan_table(self.plan),
            "monthly_plan": reports.monthly_table(self.plan, self.as_of),
            "channels": reports.channel_table(self.plan),
        }
        if self.landing.forecast is not None:
            out["landing"] = self.landing.forecast.to_frame()
        if self.scorecard is not None:
            out["scorecard"] = self.scorecard.to_frame()
        if self.readouts:
            out["experiments"] = reports.experiments_table(self.readouts)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as plain JSON values (``snapshot.json``).

        Returns
        -------
        dict
            ``version``, ``quarter_numbers``, the params file, trials and seed, what
            was learned, the plan's figures, the landing and the problems.
        """
        p = self.params
        ingest = self.ingest
        plan = self.plan
        out: dict[str, Any] = {
            "version": SNAPSHOT_VERSION,
            "quarter_numbers": self.numbers.to_dict(),
            "params_file": str(p.source_path) if p.source_path else None,
            "scenario": p.scenario_name,
            "trials": self.trials,
            "seed": self.seed,
            "learned": list(p.learned_keys),
            "actuals": None
            if ingest is None
            else {
                "rows_read": ingest.rows_read,
                "accepted": ingest.accepted,
                "rejected": ingest.rejected,
                "as_of": pd.Timestamp(ingest.as_of).date().isoformat(),
            },
            "plan": {
                "avg_deal_size": plan.avg_deal_size,
                "required": dict(
                    zip(p.stage_names, (float(v) for v in plan.funnel.required), strict=True)
                ),
                "budget": plan.budget,
                "mean_bookings_at_plan": float(self.at_plan.revenue.mean()),
            },
            "landing": None if self.landing.forecast is None else self.landing.forecast.to_dict(),
            "landing_message": self.landing.message,
            "problems": dict(self.problems),
        }
        return out

    def save(self, folder: str | Path) -> Path:
        """Write the snapshot into ``folder``: ``snapshot.json``, tables as Parquet, the object.

        Each file is written atomically.

        Parameters
        ----------
        folder : str or Path
            Where (created if missing).

        Returns
        -------
        Path
            The ``snapshot.json`` file.
        """
        folder = Path(folder)
        (folder / SNAPSHOT_TABLES).mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables().items():
            with atomic_path(folder / SNAPSHOT_TABLES / f"{name}.parquet") as tmp:
                _parquet_safe(frame).to_parquet(tmp)
        atomic_write_bytes(
            folder / SNAPSHOT_PICKLE, pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        )
        target = folder / SNAPSHOT_JSON
        atomic_write_text(target, to_json(self.to_dict()) + "\n")
        return target


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose column names and object cells Parquet can store."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    if out.index.name is not None or not isinstance(out.index, pd.RangeIndex):
        out.index = out.index.map(str)
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: None if v is None else str(v))
    return out


def load_snapshot(path: str | Path) -> QuarterSnapshot:
    """The snapshot a batch saved (its folder or its ``snapshot.json``/``snapshot.pickle``).

    Parameters
    ----------
    path : str or Path
        The folder holding the snapshot, or one of its files.

    Returns
    -------
    QuarterSnapshot

    Raises
    ------
    InputError
        When the folder holds no snapshot, or one of another layout version.
    """
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    file = folder / SNAPSHOT_PICKLE
    if not file.is_file():
        raise InputError(f"{folder}: no quarter snapshot here ({SNAPSHOT_PICKLE} is missing)")
    # Written by this run's batch into its own staging folder (never a file from elsewhere).
    snapshot = pickle.loads(file.read_bytes())
    if not isinstance(snapshot, QuarterSnapshot):
        raise InputError(f"{file}: not a quarter snapshot")
    saved = json.loads((folder / SNAPSHOT_JSON).read_text(encoding="utf-8"))
    if saved.get("version") != SNAPSHOT_VERSION:
        raise InputError(
            f"{folder / SNAPSHOT_JSON}: snapshot version {saved.get('version')!r}, "
            f"this alignlib reads {SNAPSHOT_VERSION}: compute it again with `alignlib run`"
        )
    return snapshot


def quarter_snapshot(
    params: QuarterParams,
    *,
    trials: int | None = None,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    week_ending: str | dt.date | None = None,
) -> QuarterSnapshot:
    """Compute the quarter once: learn, plan, simulate, forecast, score the week, read out.

    Parameters
    ----------
    params : QuarterParams
        Loaded parameters (learned here when they are not yet).
    trials : int, optional
        Simulated quarters; default the file's ``simulation.trials``.
    seed : int, optional
        Default the file's ``simulation.seed``.
    alpha : float
        Significance level of the experiment readouts.
    correction : str
        Multiple-variant correction of the readouts (``holm``, ``fdr_bh``, ``none``).
    week_ending : str or date, optional
        Last day of the scorecard's week (default the data date's last full week).

    Returns
    -------
    QuarterSnapshot

    Raises
    ------
    AlignError
        When the parameters cannot be learned or planned (every page needs the plan);
        a part only some pages need (readouts, scorecard) records its problem instead.
    """
    from alignlib.experiments import analyse_experiments
    from alignlib.history.learning import learn_params
    from alignlib.planning import build_plan
    from alignlib.reports.experiment import quarter_monthly_volume
    from alignlib.reports.forecast import landing_view
    from alignlib.simulation import plan_from_params, simulate_from_params

    params = learn_params(params)
    from alignlib.simulation.from_params import trials_and_seed

    n, seed = trials_and_seed(params, None if trials is None else int(trials), seed)
    if n < 1:
        raise InputError(f"trials must be at least 1, got {trials}")
    problems: dict[str, str] = {}
    plan = build_plan(params)
    at_plan = simulate_from_params(params, trials=n, seed=seed)
    confidence: ConfidencePlan | None = None
    try:
        confidence = plan_from_params(params, trials=min(n, CONFIDENCE_TRIALS), seed=seed)
    except AlignError as exc:
        problems["confidence_plan"] = str(exc).splitlines()[0]
    history = params.history
    ingest = None if history is None else history.ingest
    landing = landing_view(params, trials=n, seed=seed, ingest=ingest)
    readouts: tuple[Any, ...] = ()
    try:
        readouts = tuple(
            analyse_experiments(
                params,
                alpha=alpha,
                correction=correction,  # type: ignore[arg-type]
                monthly_volume=quarter_monthly_volume(plan),
            )
        )
    except AlignError as exc:
        problems["readouts"] = str(exc).splitlines()[0]
    numbers = _numbers(params, plan, at_plan, landing, ingest)
    scorecard = None
    unusable = params.actuals is not None and params.actuals_problem and history is None
    if unusable:
        # The file names actuals that could not be used (too many rows rejected, a stage
        # emptied): a scorecard of "no data" would read as a quiet week. The plan pages
        # still show the plan, and say why the actuals are left out.
        problems["scorecard"] = f"the actuals cannot be used: {params.actuals_problem}"
    else:
        try:
            scorecard = _scorecard(params, plan, ingest, numbers, landing, readouts, week_ending, n)
        except AlignError as exc:
            problems["scorecard"] = str(exc).splitlines()[0]
    return QuarterSnapshot(
        params=params,
        numbers=numbers,
        plan=plan,
        at_plan=at_plan,
        confidence_plan=confidence,
        landing=landing,
        scorecard=scorecard,
        readouts=readouts,
        trials=n,
        seed=seed,
        problems=problems,
    )


def _numbers(
    params: QuarterParams,
    plan: QuarterPlan,
    at_plan: SimulationResult,
    landing: LandingView,
    ingest: Any,
) -> QuarterNumbers:
    """The headline from the plan, its simulation and the landing as of the data date."""
    from alignlib.forecast.landing import booked_in

    target = float(params.target.bookings)
    p_plan = float(at_plan.p_hit(target))
    revenue = at_plan.revenue
    p10, p50, p90 = (float(v) for v in pd.Series(revenue).quantile([0.1, 0.5, 0.9]))
    budget = None if not math.isfinite(plan.budget) else float(plan.budget)
    common: dict[str, Any] = {
        "quarter": str(params.quarter),
        "segment": str(params.segment),
        "currency": params.currency,
        "target": target,
        "p_hit_at_plan": p_plan,
        "required_leads": int(plan.funnel.leads),
        "budget": budget,
    }
    if ingest is None:
        return QuarterNumbers(
            as_of=None,
            phase="no_actuals",
            booked=0.0,
            wins=0,
            landing_p10=p10,
            landing_p50=p50,
            landing_p90=p90,
            p_hit=p_plan,
            **common,
        )
    as_of = pd.Timestamp(ingest.as_of).normalize()
    start = pd.Timestamp(params.quarter_start)
    end = pd.Timestamp(params.quarter_end) + pd.Timedelta(days=1)
    forecast = landing.forecast
    if forecast is not None:
        land = forecast.landing
        return QuarterNumbers(
            as_of=as_of.date(),
            phase="during",
            booked=float(forecast.booked.p50),
            wins=int(forecast.booked_deals),
            landing_p10=float(land.p10),
            landing_p50=float(land.p50),
            landing_p90=float(land.p90),
            p_hit=float(forecast.p_hit) if forecast.p_hit is not None else p_plan,
            **common,
        )
    stages = tuple(params.stage_names)
    if as_of + pd.Timedelta(days=1) >= end:
        booked, wins = booked_in(ingest.table, start, end, stages, params.deal_size.mean)
        return QuarterNumbers(
            as_of=as_of.date(),
            phase="after",
            booked=booked,
            wins=wins,
            landing_p10=booked,
            landing_p50=booked,
            landing_p90=booked,
            p_hit=1.0 if booked >= target else 0.0,
            **common,
        )
    if as_of >= start:
        # inside the quarter, but the landing forecast could not run (the plan page says
        # why): booked so far, and the plan-time odds as the only odds there are
        booked, wins = booked_in(
            ingest.table, start, as_of + pd.Timedelta(days=1), stages, params.deal_size.mean
        )
        phase: Phase = "during"
    else:
        booked, wins, phase = 0.0, 0, "before"
    return QuarterNumbers(
        as_of=as_of.date(),
        phase=phase,
        booked=booked,
        wins=wins,
        landing_p10=p10,
        landing_p50=p50,
        landing_p90=p90,
        p_hit=p_plan,
        **common,
    )


def _scorecard(
    params: QuarterParams,
    plan: QuarterPlan,
    ingest: Any,
    numbers: QuarterNumbers,
    landing: LandingView,
    readouts: tuple[Any, ...],
    week_ending: str | dt.date | None,
    trials: int,
) -> Scorecard:
    """The week's scorecard, its quarter to date and chance as of the snapshot's data date."""
    from alignlib.crm.summary import losses_note
    from alignlib.reports.forecast import LANDING_TRIALS
    from alignlib.reports.scorecard import build_scorecard, landing_p_hit

    table = None if ingest is None else ingest.table
    as_of = None if ingest is None else pd.Timestamp(ingest.as_of).date()
    p_hit = None
    if landing.forecast is not None and as_of is not None:
        # the week before, by the same forecast with the same trials and seed
        week_before = landing_p_hit(
            params, ingest, as_of - dt.timedelta(days=7), trials=min(trials, LANDING_TRIALS)
        )
        p_hit = (numbers.p_hit, None if week_before is None else week_before[0])
    card = build_scorecard(
        params,
        table,
        as_of,
        week_ending or None,
        plan=plan,
        p_hit=p_hit,
        readouts=readouts,
        quarter_to=as_of,
        p_hit_at_plan=numbers.p_hit_at_plan,
    )
    if ingest is None or not ingest.rejected:
        return card
    return replace(card, rejections=losses_note(ingest, brief=True))
