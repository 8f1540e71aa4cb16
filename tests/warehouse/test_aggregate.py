"""alignlib.crm.aggregate: counts computed in the warehouse match the row-level metrics
on the sample's accepted contacts, in DuckDB and in a real PostgreSQL server."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alignlib import crm, metrics
from alignlib.crm.aggregate import warehouse_aggregates
from alignlib.crm.read import read_raw
from alignlib.crm.replicated import HUBSPOT_LIFECYCLE_VALUES
from alignlib.params import load_params
from alignlib.paths import PARAMS_DIR
from alignlib.sample_warehouse import write_duckdb, write_sqlalchemy
from tests.warehouse._warehouse_helpers import warehouse_params
from tests.warehouse.conftest import SAMPLE

DATE_COLUMNS = {
    "lead": "property_hs_lifecyclestage_lead_date",
    "mql": "property_hs_lifecyclestage_marketingqualifiedlead_date",
    "sal": "property_sales_accepted_date",
    "sql": "property_hs_lifecyclestage_salesqualifiedlead_date",
    "opportunity": "property_hs_lifecyclestage_opportunity_date",
    "won": "property_hs_lifecyclestage_customer_date",
}


@pytest.fixture(scope="module")
def accepted():
    """The CSV's accepted contacts, and them as a typed (clean) replicated contact table."""
    result = crm.load_actuals(load_params(PARAMS_DIR / "2026Q4.yaml"))
    raw = read_raw(SAMPLE / "hubspot_contacts.csv")
    t = result.table
    rows = raw.iloc[t["row"].to_numpy() - 2].reset_index(drop=True)
    internal = {v: k for k, v in HUBSPOT_LIFECYCLE_VALUES.items()}
    contact = pd.DataFrame(
        {
            "id": t["id"].astype("str").to_numpy(),
            "property_createdate": t["created"].to_numpy(),
            "property_lifecyclestage": rows["Lifecycle Stage"].map(lambda v: internal.get(v, v)),
            **{col: t[f"entered_{s}"].to_numpy() for s, col in DATE_COLUMNS.items()},
            "_fivetran_deleted": np.zeros(len(t), dtype=bool),
        }
    )
    deleted = contact.head(5).assign(_fivetran_deleted=True, id=lambda d: d["id"] + "x")
    return result, {("hubspot", "contact"): pd.concat([contact, deleted], ignore_index=True)}


@pytest.fixture(params=["duckdb", "postgresql"])
def clean_url(request, accepted, tmp_path_factory):
    _, tables = accepted
    if request.param == "duckdb":
        path = tmp_path_factory.mktemp("clean") / "clean.duckdb"
        write_duckdb(tables, path)
        return f"duckdb:///{path}"
    url = request.getfixturevalue("postgres_url")
    clean = url.rsplit("/", 1)[0] + "/postgres"
    write_sqlalchemy(tables, clean)
    return clean


def test_aggregates_in_the_database_match_the_row_level_metrics(tmp_path, accepted, clean_url):
    result, _ = accepted
    params = warehouse_params(tmp_path, {"url": clean_url, "schema": "hubspot"})
    agg = warehouse_aggregates(params)
    t = result.table
    stages = list(result.stage_names)
    assert agg.rows == len(t) and agg.soft_deleted == 5
    pd.testing.assert_frame_equal(agg.stage_volumes, metrics.stage_volumes(t), check_dtype=False)
    cohorts = metrics.cohort_conversion(t, result.as_of).frame[stages]
    pd.testing.assert_frame_equal(agg.cohort_reached, cohorts, check_dtype=False)
    lags = metrics.velocity(t).summary[["n", "median", "mean"]]
    lags.index = lags.index.astype(str)
    lags.index.name = "transition"
    pd.testing.assert_frame_equal(agg.lags, lags, check_dtype=False, rtol=1e-9)
    # and the row-level path over the same typed table finds the same funnel
    rows = crm.load_actuals(params)
    assert rows.accepted == len(t)
    pd.testing.assert_frame_equal(metrics.stage_volumes(rows.table), metrics.stage_volumes(t))
