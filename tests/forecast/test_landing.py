"""The landing forecast on the sample, on a closed quarter, on a two-stage funnel, without actuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignlib import crm, paths
from alignlib.errors import InputError
from alignlib.forecast import landing, landing_from_table
from alignlib.forecast.landing import booked_in
from alignlib.forecast.volume import volume_from_model
from alignlib.params import load_params
from alignlib.simulation import model_from_params
from alignlib.synthetic import SyntheticFunnel
from tests.forecast._forecast_helpers import small_params_file


@pytest.fixture(scope="module")
def sample():
    params = load_params(paths.PARAMS_DIR / "2026Q4.yaml")
    return params, crm.load_actuals(params)


def test_sample_landing_adds_up_and_has_the_contract_keys(sample):
    params, ingest = sample
    result = landing(params, trials=3000, ingest=ingest)
    out = result.to_dict()
    for key in ("booked", "open_pipeline", "not_yet_created", "landing"):
        assert {"p10", "p50", "p90", "mean"} <= set(out[key])
        assert out[key]["p10"] <= out[key]["p50"] <= out[key]["p90"]
    assert 0 <= out["p_hit"] <= 1
    assert out["booked"]["p10"] == out["booked"]["p90"] > 0
    parts = sum(out[k]["mean"] for k in ("booked", "open_pipeline", "not_yet_created"))
    assert out["landing"]["mean"] == pytest.approx(parts)
    assert out["landing"]["p10"] >= out["booked"]["p10"]
    assert result.as_of == pd.Timestamp(ingest.as_of).normalize()
    # nothing from a contact row beyond the id: the deal's name is the export's deal
    # column (Associated Deal), the owner is the rep, and the JSON leaves the owner out
    assert set(result.deals.columns) == {
        "id",
        "stage",
        "days_in_stage",
        "win_chance",
        "amount",
        "amount_known",
        "expected",
        "name",
        "owner",
        "likely_close",
    }
    raw = pd.read_csv(params.actuals.crm_export, dtype=str, keep_default_na=False)
    by_id = raw.drop_duplicates("Record ID").set_index("Record ID")
    listed = by_id.loc[result.deals["id"]]
    assert result.deals["name"].tolist() == listed["Associated Deal"].tolist()
    assert not set(result.deals["name"]) & set(listed["First Name"] + " " + listed["Last Name"])
    assert all("owner" not in d for d in out["top_deals"])
    # the likely close lies inside the quarter, after the data date
    close = pd.to_datetime(result.deals["likely_close"])
    assert (close > result.as_of).all() and (close <= result.quarter_end).all()
    frame = result.to_frame()
    assert list(frame.index) == ["booked", "open_pipeline", "not_yet_created", "landing"]


def test_same_seed_same_numbers_and_an_earlier_date_books_less(sample):
    params, ingest = sample
    a = landing(params, trials=2000, seed=3, ingest=ingest).to_dict()
    b = landing(params, trials=2000, seed=3, ingest=ingest).to_dict()
    assert a == b
    early = landing(params, "2026-10-20", trials=2000, seed=3, ingest=ingest)
    assert early.booked.p50 < a["booked"]["p50"]
    assert early.not_yet_created.mean > a["not_yet_created"]["mean"]


def test_a_closed_quarter_lands_exactly_where_it_booked(sample):
    params, ingest = sample
    stages = params.stage_names
    base = model_from_params(params, carry_in=False)
    result = landing_from_table(
        ingest.table,
        "2026-11-19",
        "2026Q3",
        stages,
        base,
        volume_from_model(base, pd.Timestamp("2026-07-01")),
        trials=500,
    )
    # A won deal kept without its (negative) amount books at the model's deal size.
    booked, _ = booked_in(
        ingest.table,
        pd.Timestamp("2026-07-01"),
        pd.Timestamp("2026-10-01"),
        stages,
        base.deal_size.mean,
    )
    d = result.landing
    assert d.p10 == d.p50 == d.p90 == booked == result.booked.p50
    assert result.open_pipeline.p90 == 0 and result.not_yet_created.p90 == 0


def test_two_stage_funnel_from_a_csv_export(tmp_path):
    funnel = SyntheticFunnel(("opportunity", "won"), (0.3,), (40.0,), monthly_leads=200)
    params = load_params(small_params_file(tmp_path, funnel))
    result = landing(params)
    assert result.quarter == "2026Q2"
    assert result.booked.p50 > 0 and result.open_pipeline.mean > 0
    assert result.not_yet_created.mean > 0
    # the open deals carry their own amounts in this export
    assert result.deals["amount_known"].all()
    history = landing(params, volume="history", trials=1000)
    assert history.volume_source == "history"


def test_before_the_quarter_nothing_is_booked(tmp_path):
    funnel = SyntheticFunnel(("lead", "deal", "won"), (0.4, 0.3), (10.0, 30.0), monthly_leads=300)
    params = load_params(small_params_file(tmp_path, funnel, quarter="2026Q3", as_of="2026-06-10"))
    result = landing(params, trials=2000)
    assert result.booked.p90 == 0
    assert result.open_pipeline.mean > 0 and result.not_yet_created.mean > 0
    assert np.all(result.samples >= 0)


def test_without_actuals_it_says_what_is_missing(params_dict, write_params):
    params = load_params(write_params(params_dict))
    with pytest.raises(InputError, match="forecast needs actuals"):
        landing(params)
    with pytest.raises(InputError, match="volume"):
        landing(load_params(paths.PARAMS_DIR / "2026Q4.yaml"), volume="guess")
