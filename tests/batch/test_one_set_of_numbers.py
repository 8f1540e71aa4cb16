"""One quarter, one set of numbers: every page of a segment shows the same headline.

The sample and two funnels of other shapes (3 stages, 2 stages) are rendered as a batch,
the quarterly reports and the weekly scorecard (a second run, as ``--weekly`` is): every
report's summary carries the identical ``quarter_numbers`` block, equal to the segment's
``snapshot.json``; every page opens with the same sentence, and the index shows it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from alignlib import batch, paths
from tests.reports._any_params_helpers import Case, write_case

TRIALS = 2_000

#: Keys the issue names for the block every summary carries.
REQUIRED = {"as_of", "target", "booked", "landing_p50", "p_hit", "p_hit_at_plan", "required_leads"}

FUNNELS = {
    # inside its quarter on the data date (20 May 2026): a live chance and a plan-time one
    "three": Case(
        ("lead", "sql", "won"),
        (0.3, 0.35),
        (6.0, 25.0),
        months=13,
        quarter="2026Q2",
        handoff="",
        sla=True,
        experiment_stage="lead",
        extra={"segment": "three"},
    ),
    "two": Case(
        ("mql", "won"), (0.2,), (20.0,), months=13, quarter="2026Q2", extra={"segment": "two"}
    ),
}


def _summaries(seg_dir: Path) -> dict[str, dict]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in seg_dir.glob("*.json")
        if p.name != "snapshot.json" and not p.name.endswith(".failed.json")
    }


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("case", ["sample", *FUNNELS])
def test_every_page_of_a_segment_shows_the_same_quarter(tmp_path, case) -> None:
    if case == "sample":
        params, quarter, segment = paths.DEFAULT_PARAMS, paths.DEFAULT_QUARTER, "all"
    else:
        spec = FUNNELS[case]
        params = write_case(spec, tmp_path / "params")
        quarter, segment = spec.quarter, case
    out = tmp_path / "out"
    for reports in (batch.REPORTS, batch.WEEKLY_REPORTS):
        result = batch.run_batch(
            [params], out_dir=out, trials=TRIALS, reports=reports, workers=2, progress=False
        )
        assert result.ok, result.summary()
    seg_dir = out / quarter / segment
    snapshot = json.loads((seg_dir / "snapshot.json").read_text(encoding="utf-8"))
    block = snapshot["quarter_numbers"]
    assert REQUIRED <= set(block)
    summaries = _summaries(seg_dir)
    assert set(summaries) == {r.name for r in batch.ALL_REPORTS}
    for name, summary in summaries.items():
        head = summary["headline"]
        assert head["quarter_numbers"] == block, name
        # the figures the index reads are the block's, not a report's own
        for key in ("target", "p_hit", "p_hit_at_plan", "required_leads", "booked", "as_of"):
            assert head[key] == block[key], (name, key)

    from alignlib.snapshot import QuarterNumbers

    numbers = QuarterNumbers.from_dict(block)
    sentence = html.escape(numbers.sentence(), quote=False)
    for name in summaries:
        page = (seg_dir / f"{name}.html").read_text(encoding="utf-8")
        if name != "annual_plan":  # the year's page opens with the year's answer
            assert sentence in page, f"{name} does not open with the quarter's answer"
        assert numbers.as_of_text in page, f"{name} does not name its data date"
    index = (out / quarter / "index.html").read_text(encoding="utf-8")
    assert sentence in index
    # inside the quarter the live chance leads and the plan-time one stands beside it
    assert numbers.phase == "during"
    assert "at plan time" in numbers.sentence()
