"""Params files of any valid shape, with a synthetic export, and the reports run on them.

``cases()`` is a hypothesis strategy of :class:`Case`: 2 to 8 stages with any valid names,
each optional section present or absent (channels with or without costs, capacity with
any hand-off stage, SLA, pipeline, inline experiments, a spend file), rates, lags, deal
size and channels given or learned from the actuals, one month to two years of history,
and a quarter that may hold no contacts at all. ``write_case`` writes the params file, the
generic CSV export (:mod:`alignlib.synthetic`) and the spend file into a folder.

``run_notebook`` runs a report notebook's paired script in this process, cell by cell,
the way a kernel would: the parameters cell is replaced by the given values, and what a
cell displays (its last expression, and every ``display(...)``) is rendered to HTML, so
a table whose formatting fails, fails here.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hypothesis import strategies as st

from alignlib import paths
from alignlib.params import RESERVED_STAGE_NAMES
from alignlib.synthetic import SyntheticFunnel, synthetic_table, write_generic_export

#: Names a revenue team uses, and names that only the pattern allows.
COMMON_NAMES = (
    "lead", "mql", "sal", "sql", "opportunity", "deal", "proposal", "demo", "trial",
    "won", "closed_won", "customer", "signup", "stage_1", "x", "a1", "pipeline",
)  # fmt: skip
NAME = st.one_of(
    st.sampled_from(COMMON_NAMES), st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
).filter(lambda name: name not in RESERVED_STAGE_NAMES)
LEARNABLE = ("conversion_rates", "lag_days", "deal_size", "channels")
AS_OF = pd.Timestamp("2026-05-20")


@dataclass(frozen=True)
class Case:
    """One params file and its actuals: what is given, what is left out or learned."""

    stages: tuple[str, ...]
    rates: tuple[float, ...]
    lags: tuple[float, ...]
    months: int = 12
    quarter: str = "2026Q3"
    learned: frozenset[str] = frozenset()
    #: ``empty`` (``channels: {}``), ``no_costs``, ``costs``; learned when in ``learned``.
    channels: str = "costs"
    spend: bool = False
    handoff: str | None = None  # None: no capacity section; "" for the default stage
    sla: bool = False
    pipeline: str | None = None
    experiment_stage: str | None = None
    owners: tuple[str, ...] = ()
    seed: int = 0
    source_channels: tuple[str, ...] = ("web", "events")
    actuals: bool = True
    lost: bool = True  # False: every deal not won is still open
    responses: bool = True  # False: the export has no first-response dates
    extra: dict[str, Any] = field(default_factory=dict)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A valid params file of any shape (see the module docstring)."""
    n = draw(st.integers(2, 8))
    stages = tuple(draw(st.lists(NAME, min_size=n, max_size=n, unique=True)))
    months = draw(st.sampled_from([1, 2, 3, 7, 13, 24]))
    # Learning needs matured cohorts that reach every stage: with a short history, or a
    # funnel that narrows fast, the file gives what cannot be learned.
    learned = frozenset(draw(st.sets(st.sampled_from(LEARNABLE if months >= 7 else ("channels",)))))
    low = 0.5 if "conversion_rates" in learned else 0.15
    rates = tuple(draw(st.lists(st.floats(low, 0.9), min_size=n - 1, max_size=n - 1)))
    lags = tuple(draw(st.lists(st.floats(0.0, 20.0), min_size=n - 1, max_size=n - 1)))
    last = (AS_OF.to_period("Q")).quarter
    quarter = draw(
        st.sampled_from(
            [f"2026Q{last}", f"2026Q{last + 1}", "2029Q1", "2019Q4"]  # now, next, empty, empty
        )
    )
    handoff = draw(st.one_of(st.none(), st.just(""), st.sampled_from(stages)))
    experiment = draw(st.one_of(st.none(), st.sampled_from(stages[:-1])))
    pipeline = draw(st.one_of(st.none(), st.sampled_from(stages[:-1])))
    return Case(
        stages=stages,
        rates=rates,
        lags=lags,
        months=months,
        quarter=quarter,
        learned=learned,
        channels=draw(st.sampled_from(["empty", "no_costs", "costs"])),
        spend=draw(st.booleans()),
        handoff=handoff,
        sla=draw(st.booleans()),
        pipeline=pipeline,
        experiment_stage=experiment,
        owners=tuple(draw(st.sampled_from(["marketing", "sales"])) for _ in stages),
        seed=draw(st.integers(0, 2**16)),
        source_channels=draw(
            st.sampled_from([("web",), ("web", "events"), ("partners", "ads", "web")])
        ),
        lost=draw(st.booleans()),
        responses=draw(st.booleans()),
    )


def write_case(case: Case, folder: Path) -> Path:
    """Write the case's export, spend file and params file; return the params file."""
    folder.mkdir(parents=True, exist_ok=True)
    shares = {c: 1 / len(case.source_channels) for c in case.source_channels}
    funnel = SyntheticFunnel(
        case.stages,
        case.rates,
        case.lags,
        monthly_leads=300,
        deal_size=25_000,
        channels=shares,
        lost_lag_days=10 if case.lost else 10_000,
    )
    start = (AS_OF.to_period("M") - case.months + 1).start_time
    table = synthetic_table(funnel, start=start, months=case.months, as_of=AS_OF, seed=case.seed)
    if not case.responses:
        table = table.assign(first_response=pd.NaT)
    columns = write_generic_export(table, folder / "export.csv", case.stages)
    actuals: dict[str, Any] = {
        "crm_export": "export.csv",
        "format": "csv",
        "columns": columns,
        "as_of": AS_OF.date(),
    }
    if case.spend:
        months = pd.period_range(start.to_period("M"), AS_OF.to_period("M"), freq="M")
        rows = [(str(m), c, 1_000.0 * (i + 1)) for m in months for i, c in enumerate(shares)]
        pd.DataFrame(rows, columns=["month", "channel", "spend"]).to_csv(
            folder / "spend.csv", index=False
        )
        actuals["spend"] = "spend.csv"
    raw: dict[str, Any] = {
        "quarter": case.quarter,
        "target": {"bookings": 750_000},
        "stages": [
            {"name": s, "label": s.replace("_", " ").title(), "owner": o}
            for s, o in zip(case.stages, case.owners or ("sales",) * len(case.stages), strict=True)
        ],
        "actuals": actuals,
        "simulation": {"seed": 11},
    }
    if "conversion_rates" not in case.learned:
        raw["conversion_rates"] = dict(zip(case.stages[:-1], case.rates, strict=True))
    if "lag_days" not in case.learned:
        raw["lag_days"] = {
            s: {"typical": round(lag, 1), "spread": round(lag / 3, 1)}
            for s, lag in zip(case.stages[:-1], case.lags, strict=True)
        }
    if "deal_size" not in case.learned:
        raw["deal_size"] = {"mean": 25_000, "spread": 8_000}
    if "channels" not in case.learned:
        raw["channels"] = (
            {
                c: {
                    "share": share,
                    **({"cost_per_lead": 40.0 * (i + 1)} if case.channels == "costs" else {}),
                }
                for i, (c, share) in enumerate(shares.items())
            }
            if case.channels != "empty"
            else {}
        )
    if case.handoff is not None:
        raw["capacity"] = {
            "reps": 4,
            "opportunities_per_rep_per_month": 25,
            "responses_per_rep_per_day": 12,
            **({"handoff_stage": case.handoff} if case.handoff else {}),
        }
    if case.sla:
        raw["sla"] = {"lead_response_hours": 6}
    if case.pipeline is not None:
        raw["pipeline"] = {"stage": case.pipeline, "coverage_target": 3}
    if case.experiment_stage is not None:
        raw["experiments"] = [
            {
                "name": "faster_follow_up",
                "stage": case.experiment_stage,
                "control": {"conversions": 120, "n": 400},
                "variants": {"call_first": {"conversions": 141, "n": 410}},
            }
        ]
    if not case.actuals:
        del raw["actuals"]
    raw.update(case.extra)
    path = folder / f"{case.quarter}.yaml"
    path.write_text(yaml.safe_dump(_plain(raw), sort_keys=False), encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return float(value)
    return value


# -- the notebooks, run in this process ----------------------------------------------------


def _cells(name: str) -> list[tuple[str, str]]:
    """(kind, source) of a notebook's paired script: ``code``, ``parameters`` or markdown."""
    text = (paths.NOTEBOOKS_DIR / f"{name}.py").read_text(encoding="utf-8")
    out = []
    for block in re.split(r"^# %%", text, flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        if "[markdown]" in header:
            continue
        kind = "parameters" if 'tags=["parameters"]' in header else "code"
        out.append((kind, body))
    return out


def _html(obj: Any) -> str:
    if obj is None:
        return ""
    for attr in ("_repr_html_", "to_html"):
        method = getattr(obj, attr, None)
        if callable(method):
            return str(method())
    if hasattr(obj, "data"):
        return str(obj.data)[:200]
    return repr(obj)


@contextlib.contextmanager
def _capture_display(shown: list[str]) -> Iterator[None]:
    import IPython.display
    import matplotlib.pyplot as plt

    from alignlib import display as alignlib_display

    original, original_show = IPython.display.display, alignlib_display.show

    def display(*objs: Any, **_kwargs: Any) -> None:
        shown.extend(_html(o) for o in objs)

    def show(fig: Any, **_kwargs: Any) -> None:
        # Built, not drawn: a chart's limits and reductions fail while it is built, and
        # drawing takes most of a report's time (the batch test draws every chart).
        shown.append(f"<img alt='{alignlib_display.figure_title(fig)}'>")
        plt.close(fig)

    IPython.display.display = display
    alignlib_display.show = show
    try:
        yield
    finally:
        IPython.display.display, alignlib_display.show = original, original_show


def run_notebook(name: str, **parameters: Any) -> list[str]:
    """Run a report notebook in this process; return the HTML of everything it displayed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown: list[str] = []
    namespace: dict[str, Any] = {"__name__": f"notebook_{name}"}
    with _capture_display(shown):
        for i, (kind, source) in enumerate(_cells(name)):
            where = f"<{name} cell {i}>"
            if kind == "parameters":
                exec(source, namespace)  # the defaults, then what a batch would inject
                namespace.update(parameters)
                continue
            tree = ast.parse(source)
            last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            if last is not None:
                tree.body = tree.body[:-1]
            exec(compile(tree, where, "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), where, "eval"), namespace)
                shown.append(_html(value))
    plt.close("all")
    return shown
