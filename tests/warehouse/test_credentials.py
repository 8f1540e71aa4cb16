"""Credentials in warehouse URLs never reach a message, the terminal or a page (issue 21, 1).

Against the suite's real PostgreSQL server: a password given in the query string
(``?password=``) connects, and no output of the read shows it.
"""

from __future__ import annotations

import pytest

from alignlib import paths
from alignlib.errors import DataError
from alignlib.history.learning import learn_params
from tests.warehouse._warehouse_helpers import warehouse_params

SAMPLE = str(paths.PROJECT_ROOT / "data" / "sample")


def _query_password_url(postgres, password: str | None = None) -> str:
    pw = postgres.password if password is None else password
    return (
        f"postgresql://alignlib@127.0.0.1:{postgres.port}/crm"
        f"?sslmode=disable&password={pw}&application_name=alignlib-tests"
    )


def test_a_password_in_the_query_string_reaches_no_output_or_page(tmp_path, postgres):
    from alignlib import crm
    from alignlib.planning import build_plan
    from alignlib.reports.plan import actuals_view
    from alignlib.reports.trend import data_note, trend_data

    url = _query_password_url(postgres)
    params = warehouse_params(tmp_path, {"url": url, "table": "exports.hubspot_contacts"})
    result = crm.load_actuals(params)
    assert result.accepted > 0
    assert postgres.password not in result.source and "password=***" in result.source
    assert postgres.password not in repr(result.to_dict())
    # Pages name the table and the kind of database, never the URL.
    assert result.source_label == "exports.hubspot_contacts (PostgreSQL)"
    learned = learn_params(params)
    note = data_note(trend_data(learned))
    assert "exports.hubspot_contacts (PostgreSQL)" in note
    assert "password" not in note and "127.0.0.1" not in note and "crm?" not in note
    view = actuals_view(learned, build_plan(learned))
    assert "exports.hubspot_contacts (PostgreSQL)" in view.notes[0]
    assert postgres.password not in " ".join(view.notes) and "crm?" not in view.notes[0]


def test_a_wrong_password_in_the_query_string_is_not_shown(tmp_path, postgres):
    params = warehouse_params(
        tmp_path,
        {"url": _query_password_url(postgres, "Wr0ng-QS-secret"), "table": "exports.nope"},
    )
    from alignlib import crm

    with pytest.raises(DataError) as err:
        crm.load_actuals(params)
    msg = str(err.value)
    assert "could not connect" in msg and "actuals.sql.url" in msg
    assert "Wr0ng-QS-secret" not in msg and "password=***" in msg


def test_a_raw_at_sign_in_the_password_is_refused_without_its_tail(tmp_path, postgres):
    from alignlib import crm

    url = f"postgresql://alignlib:S3cret@PWtail@127.0.0.1:{postgres.port}/crm"
    params = warehouse_params(tmp_path, {"url": url, "table": "exports.hubspot_contacts"})
    with pytest.raises(DataError) as err:
        crm.load_actuals(params)
    msg = str(err.value)
    assert "actuals.sql.url" in msg and "%40" in msg
    assert "S3cret" not in msg and "PWtail" not in msg


def test_warehouse_load_never_prints_a_query_string_password(tmp_path, postgres, capsys):
    from alignlib.cli import main

    assert main(["warehouse", "load", SAMPLE, "--into", _query_password_url(postgres)]) == 0
    out = capsys.readouterr()
    assert postgres.password not in out.out + out.err
    assert "password=***" in out.out
    bad = "postgresql://u@127.0.0.1:1/x?password=hunter2secret&token=tok3nvalue"
    assert main(["warehouse", "load", SAMPLE, "--into", bad]) == 2
    err = capsys.readouterr().err
    assert "could not write" in err
    assert "hunter2secret" not in err and "tok3nvalue" not in err
