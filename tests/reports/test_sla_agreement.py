from __future__ import annotations

import pytest

from alignlib import paths
from alignlib.params import QuarterParams, load_params
from alignlib.reports import sla_agreement as ag
from tests.reports._printable_helpers import two_stage_params, two_stage_table


@pytest.fixture(scope="module")
def sample_agreement():
    params = load_params(paths.DEFAULT_PARAMS)
    return params, ag.load_agreement(params)


def test_sample_agreement_states_the_terms(sample_agreement) -> None:
    params, a = sample_agreement
    assert a.has_sla and a.handoff == "mql" and a.accepted == "sal"
    assert [s.name for s in a.stages] == list(params.stage_names)
    assert a.response_hours == 4 and a.acceptance_hours == 48 and a.compliance_target == 0.9
    rec = params.sla.recycling
    assert dict(a.reasons) == rec.reasons
    assert a.attempts_before_recycling == rec.attempts_before_recycling
    assert a.nurture_days == rec.nurture_days
    terms = a.to_frame()["value"]
    assert terms["response time (hours)"] == "4" and terms["compliance target"] == "90%"
    text = " ".join(a.measurement)
    assert "enters Marketing qualified lead" in text
    assert "clock hours" in text and "no business-hours calendar" in text


def test_sample_standing_matches_the_sla_metric(sample_agreement) -> None:
    import pandas as pd

    from alignlib import crm
    from alignlib.metrics import sla

    params, a = sample_agreement
    s = a.standing
    assert s is not None
    ingest = crm.load_actuals(params)
    t = ingest.table
    rows = (t["entered_mql"] >= pd.Timestamp("2026-10-01")) & (
        t["entered_mql"] < pd.Timestamp("2026-11-20")
    )
    expected = sla(
        t.loc[rows], pd.Timestamp("2026-11-20"), 4, acceptance_hours=48, accepted_stage="sal"
    ).summary
    assert s.handoffs == expected["handoffs"]
    assert s.compliance == pytest.approx(expected["compliance"])
    assert s.median_hours == pytest.approx(expected["median_hours"])
    assert s.p90_hours == pytest.approx(expected["p90_hours"])
    assert s.never_answered == expected["handoffs"] - expected["responded"]
    assert 0 <= s.acceptance_rate <= 1
    page = ag.standing_html(a)
    assert "target 90%" in page and "1 Oct 2026" in page


def test_without_sla_the_terms_are_blanks_to_fill_in() -> None:
    a = ag.build_agreement(two_stage_params(), two_stage_table(), "2026-05-20")
    assert not a.has_sla and a.standing is None
    assert a.accepted is None  # the hand-off stage is the last one
    assert "No SLA" in a.standing_note
    assert ag.BLANK in ag.terms_html(a) and ag.BLANK in ag.recycling_html(a)
    assert a.to_frame().loc["response time (hours)", "value"] == ag.BLANK
    assert "VP of Sales" in ag.signatures_html(a) and "VP of Marketing" in ag.signatures_html(a)


def test_sla_without_actuals_or_dates_says_why() -> None:
    params = two_stage_params(sla={"lead_response_hours": 2})
    a = ag.build_agreement(params)
    assert a.standing is None and "No actuals" in a.standing_note
    table = two_stage_table()
    table["entered_customer"] = pd_nat(table)
    a = ag.build_agreement(params, table, "2026-05-20")
    assert a.standing is None and "no Customer dates" in a.standing_note


def pd_nat(table):
    import pandas as pd

    return pd.Series(pd.NaT, index=table.index, dtype="datetime64[s]")


def test_every_string_from_params_is_escaped() -> None:
    hostile = '<img src=x onerror="alert(1)">'
    params = QuarterParams.model_validate(
        {
            "quarter": "2026Q2",
            "segment": "emea",
            "target": {"bookings": 200_000},
            "stages": [
                {
                    "name": "lead",
                    "label": hostile,
                    "owner": "marketing",
                    "definition": hostile,
                    "entry_criteria": hostile,
                },
                {"name": "won", "label": "Won", "owner": "sales"},
            ],
            "conversion_rates": {"lead": 0.2},
            "deal_size": {"mean": 1_000},
            "sla": {
                "lead_response_hours": 4,
                "recycling": {"reasons": {"x<y": hostile}, "return_criteria": hostile},
            },
        }
    )
    a = ag.build_agreement(params)
    page = "".join(
        f(a)
        for f in (
            ag.stages_html,
            ag.terms_html,
            ag.recycling_html,
            ag.measurement_html,
            ag.standing_html,
            ag.signatures_html,
        )
    )
    assert "<img" not in page and 'onerror="' not in page
    assert "&lt;img" in page and "x&lt;y" in page
