"""Loading and validating quarter parameters: every bad-input case names file, key and fault."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from alignlib.errors import ParamsError
from alignlib.history.learning import learn_params
from alignlib.params import load_params
from alignlib.paths import DEFAULT_PARAMS, PARAMS_DIR


def _problems(exc: pytest.ExceptionInfo[ParamsError]) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_valid_file_loads_with_derived_views(params_dict, write_params):
    p = load_params(write_params(params_dict))
    assert p.stage_names == ("lead", "mql", "sal", "sql", "opportunity", "won")
    assert p.rates == pytest.approx([0.3, 0.6, 0.5, 0.5, 0.25])
    assert p.rate_inputs == [0.3, (600, 1000), 0.5, 0.5, 0.25]
    assert p.months == [
        pd.Period("2026-10", "M"),
        pd.Period("2026-11", "M"),
        pd.Period("2026-12", "M"),
    ]
    assert p.quarter_start == dt.date(2026, 10, 1)
    assert p.quarter_end == dt.date(2026, 12, 31)
    assert p.phasing == (0.3, 0.3, 0.4)
    assert p.conversion_rates["mql"].counts == (600, 1000)
    assert p.lags[-1].typical == 45


def test_shipped_params_files_all_validate():
    files = sorted(PARAMS_DIR.glob("*.yaml"))
    assert DEFAULT_PARAMS in files
    for path in files:
        p = load_params(path)
        assert p.quarter in path.name
        for name in p.scenarios:
            assert p.with_scenario(name).scenario_name == name


def test_phasing_defaults_to_equal_thirds(params_dict, write_params):
    del params_dict["target"]["monthly_phasing"]
    p = load_params(write_params(params_dict))
    assert p.phasing == pytest.approx((1 / 3, 1 / 3, 1 / 3))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ParamsError, match="file not found") as exc:
        load_params(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(exc.value)


def test_broken_yaml_names_line(write_params):
    path = write_params("quarter: 2026Q4\ntarget:\n  bookings: [1, 2\n")
    with pytest.raises(ParamsError) as exc:
        load_params(path)
    assert str(path) in str(exc.value)
    assert "broken YAML" in _problems(exc)
    assert "line" in _problems(exc)


def test_empty_and_non_mapping_files(write_params):
    with pytest.raises(ParamsError, match="empty"):
        load_params(write_params(""))
    with pytest.raises(ParamsError, match="mapping"):
        load_params(write_params("- a\n- b\n"))


def test_unknown_key_suggests_the_right_one(params_dict, write_params):
    params_dict["deal_size"]["meen"] = params_dict["deal_size"].pop("mean")
    params_dict["chanels"] = {}
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    text = _problems(exc)
    assert "deal_size.meen" in text and "did you mean 'mean'" in text
    assert "chanels" in text and "did you mean 'channels'" in text
    assert "deal_size.mean" in text and "required key is missing" in text


def test_unknown_key_inside_a_mapping_of_models(params_dict, write_params):
    params_dict["channels"]["events"]["cost_per_lea"] = 3
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "channels.events.cost_per_lea" in _problems(exc)
    assert "did you mean 'cost_per_lead'" in _problems(exc)


def test_wrong_type_names_key_line_and_value(params_dict, write_params):
    params_dict["target"]["bookings"] = "a lot"
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    text = _problems(exc)
    assert "target.bookings" in text
    assert "'a lot'" in text
    assert "(line 5)" in text


@pytest.mark.parametrize("rate", [0, -0.1, 1.2])
def test_rate_outside_unit_interval(params_dict, write_params, rate):
    params_dict["conversion_rates"]["sal"] = rate
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "conversion_rates.sal" in _problems(exc)


def test_rate_of_one_is_allowed(params_dict, write_params):
    params_dict["conversion_rates"]["sal"] = 1
    assert load_params(write_params(params_dict)).conversion_rates["sal"].rate == 1.0


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"converted": 11, "total": 10}, "more than total"),
        ({"converted": -1, "total": 10}, "greater than or equal to 0"),
        ({"converted": 0, "total": 10}, "zero rate"),
        ({"converted": 3}, "both converted and total"),
        ({"rate": 0.3, "converted": 3, "total": 10}, "not both"),
    ],
)
def test_bad_counts(params_dict, write_params, counts, message):
    params_dict["conversion_rates"]["mql"] = counts
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "conversion_rates.mql" in _problems(exc)
    assert message in _problems(exc)


def test_channel_shares_must_sum_to_one(params_dict, write_params):
    params_dict["channels"]["events"]["share"] = 0.5
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "channels (line 37): channel shares must sum to 1 (they sum to 1.1)" in _problems(exc)


def test_phasing_must_sum_to_one(params_dict, write_params):
    params_dict["target"]["monthly_phasing"] = [0.5, 0.5, 0.5]
    with pytest.raises(
        ParamsError, match=r"target.monthly_phasing \(line \d+\): shares must sum to 1"
    ):
        load_params(write_params(params_dict))


def test_unknown_stage_in_rates_and_missing_stage(params_dict, write_params):
    params_dict["conversion_rates"]["sqll"] = params_dict["conversion_rates"].pop("sql")
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    text = _problems(exc)
    assert "conversion_rates.sqll (line 17): unknown stage; did you mean 'sql'?" in text
    assert "missing for stage(s) sql" in text


def test_last_stage_has_no_rate(params_dict, write_params):
    params_dict["conversion_rates"]["won"] = 0.5
    with pytest.raises(ParamsError, match="last stage"):
        load_params(write_params(params_dict))


def test_custom_stages_without_mql(params_dict, write_params):
    params_dict["stages"] = [
        {"name": "lead", "label": "Lead", "owner": "marketing"},
        {"name": "sql", "label": "SQL", "owner": "sales"},
        {"name": "opportunity", "label": "Opportunity", "owner": "sales"},
        {"name": "won", "label": "Won", "owner": "sales"},
    ]
    params_dict["conversion_rates"] = {"lead": 0.1, "sql": 0.5, "opportunity": 0.3}
    params_dict["lag_days"] = {}
    params_dict["capacity"]["handoff_stage"] = "sql"
    params_dict["scenarios"] = {}
    p = load_params(write_params(params_dict))
    assert p.stage_names == ("lead", "sql", "opportunity", "won")
    assert [lag.typical for lag in p.lags] == [0, 0, 0]


def test_stage_references_are_checked(params_dict, write_params):
    params_dict["pipeline"]["stage"] = "won"
    params_dict["capacity"]["handoff_stage"] = "mqls"
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    text = _problems(exc)
    assert "pipeline.stage" in text and "capacity.handoff_stage" in text


def test_missing_data_files_are_named(params_dict, write_params):
    params_dict["actuals"] = {"crm_export": "exports/contacts.csv", "spend": "spend.csv"}
    path = write_params(params_dict)
    (path.parent / "spend.csv").write_text("month,channel,spend\n")
    with pytest.raises(ParamsError) as exc:
        load_params(path)
    text = _problems(exc)
    assert "actuals.crm_export" in text and "contacts.csv" in text
    assert "actuals.spend" not in text


def test_data_paths_resolve_relative_to_the_file(params_dict, write_params):
    path = write_params(params_dict)
    (path.parent / "contacts.csv").write_text("Record ID\n")
    params_dict["actuals"] = {"crm_export": "contacts.csv"}
    p = load_params(write_params(params_dict))
    assert p.actuals is not None
    assert p.actuals.crm_export == (path.parent / "contacts.csv").resolve()


def test_experiment_validation(params_dict, write_params):
    params_dict["experiments"] = [
        {
            "name": "routing",
            "stage": "won",
            "control": {"conversions": 20, "n": 10},
            "variants": {"b": {"conversions": 1, "n": 10}},
            "expected_shares": [0.6, 0.6],
        }
    ]
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    text = _problems(exc)
    assert "experiments.0.control" in text and "more than n" in text
    assert "experiments.0.expected_shares" in text and "shares must sum to 1" in text


def test_scenario_is_applied_and_validated(params_dict, write_params):
    p = load_params(write_params(params_dict))
    c = p.with_scenario("conservative")
    assert c.conversion_rates["mql"].rate == 0.4
    assert c.deal_size.mean == 18_000
    assert c.deal_size.spread == 8_000  # untouched values are kept
    assert p.conversion_rates["mql"].rate == 0.6  # the base is unchanged
    with pytest.raises(ParamsError, match="no scenario 'optimistic'"):
        p.with_scenario("optimistic")


def test_bad_scenario_fails_at_load_with_its_path(params_dict, write_params):
    params_dict["scenarios"]["conservative"]["overrides"]["conversion_rates"]["mql"] = 1.5
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "scenarios.conservative.overrides.conversion_rates.mql" in _problems(exc)


def test_segment_file_extends_the_company_file(params_dict, write_params):
    base = write_params(params_dict, "2026Q4.yaml")
    child = write_params(
        "extends: 2026Q4.yaml\nsegment: enterprise\ndeal_size: {mean: 60000}\n",
        "2026Q4-enterprise.yaml",
    )
    p = load_params(child)
    assert p.segment == "enterprise"
    assert p.deal_size.mean == 60_000 and p.deal_size.spread == 8_000
    assert p.rates == load_params(base).rates


def test_extends_loop_is_reported(write_params):
    write_params("extends: b.yaml\n", "a.yaml")
    b = write_params("extends: a.yaml\n", "b.yaml")
    with pytest.raises(ParamsError, match="loop"):
        load_params(b)


def test_bad_quarter_label(params_dict, write_params):
    params_dict["quarter"] = "Q4-2026"
    with pytest.raises(ParamsError, match="quarter"):
        load_params(write_params(params_dict))


# -- hostile and broken params (issue 10) --------------------------------------------------


def test_duplicate_key_is_an_error_naming_both_lines(params_dict, write_params):
    text = yaml.safe_dump(params_dict, sort_keys=False)
    text = text.replace("deal_size:\n", "deal_size:\n  mean: 5\n", 1)
    first = text.splitlines().index("  mean: 5") + 1
    second = next(
        i + 1
        for i, line in enumerate(text.splitlines())
        if line.startswith("  mean:") and i + 1 != first
    )
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(text))
    problems = _problems(exc)
    assert "'mean' is given twice" in problems
    assert f"lines {first} and {second}" in problems


@pytest.mark.parametrize(
    "where",
    [
        ("deal_size", "mean"),
        ("deal_size", "spread"),
        ("target", "bookings"),
        ("channels", "paid_search", "cost_per_lead"),
        ("capacity", "opportunities_per_rep_per_month"),
    ],
)
@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_non_finite_numbers_are_refused_at_load_with_key_and_line(
    params_dict, write_params, where, value
):
    node = params_dict
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = "__X__"
    text = yaml.safe_dump(params_dict, sort_keys=False).replace("__X__", value)
    line = next(i + 1 for i, row in enumerate(text.splitlines()) if value in row)
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(text))
    problems = _problems(exc)
    assert ".".join(where) in problems
    assert f"(line {line})" in problems
    assert "finite" in problems


def test_control_characters_in_names_are_refused(params_dict, write_params):
    params_dict["channels"]["events"]["label"] = "Events\x1b[31m"
    path = write_params(params_dict)  # yaml.safe_dump escapes it as "\e"
    with pytest.raises(ParamsError) as exc:
        load_params(path)
    problems = _problems(exc)
    assert "channels.events.label" in problems and "U+001B" in problems
    assert "\x1b" not in str(exc.value)


def test_raw_control_character_is_a_yaml_problem_with_its_line(params_dict, write_params):
    text = yaml.safe_dump(params_dict, sort_keys=False) + "bad\x07key: 1\n"
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(text))
    assert f"line {text.count(chr(10))}" in _problems(exc)
    assert "\x07" not in str(exc.value)


def test_thousands_of_unknown_keys_are_listed_fifty_then_counted(params_dict, write_params):
    from alignlib.params import MAX_LISTED_PROBLEMS

    text = yaml.safe_dump(params_dict, sort_keys=False)
    text += "".join(f"unknown_key_{i}: {i}\n" for i in range(5_000))
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(text))
    problems = exc.value.problems
    assert len(problems) == MAX_LISTED_PROBLEMS + 1
    assert problems[-1].message == f"... and {5_000 - MAX_LISTED_PROBLEMS:,} more problems"
    assert "unknown_key_0 (line" in str(problems[0])


@pytest.mark.parametrize("shares", [(0.6, 0.399999), (0.6, 0.4000005), (0.3, 0.3, 0.400001)])
def test_shares_use_one_tolerance_in_base_file_and_scenario(params_dict, write_params, shares):
    names = ["paid_search", "events", "webinars"][: len(shares)]
    channels = {n: {"cost_per_lead": 100, "share": s} for n, s in zip(names, shares, strict=True)}
    params_dict["channels"] = channels
    params_dict["scenarios"] = {"mix": {"overrides": {"channels": channels}}}
    p = load_params(write_params(params_dict))
    assert p.with_scenario("mix").scenario_name == "mix"
    params_dict["target"]["monthly_phasing"] = [0.3, 0.3, 0.399999]
    params_dict["scenarios"]["mix"]["overrides"]["target"] = {"monthly_phasing": [0.3, 0.3, 0.4]}
    assert load_params(write_params(params_dict)).phasing == (0.3, 0.3, 0.399999)


def test_shares_off_by_more_than_the_tolerance_fail_in_base_and_scenario(params_dict, write_params):
    params_dict["scenarios"] = {
        "mix": {
            "overrides": {
                "channels": {
                    "paid_search": {"cost_per_lead": 100, "share": 0.6},
                    "events": {"cost_per_lead": 100, "share": 0.39},
                }
            }
        }
    }
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "scenarios.mix.overrides.channels" in _problems(exc)
    assert "sum to 0.99" in _problems(exc)


def test_scenario_problems_name_the_line_of_the_override(params_dict, write_params):
    params_dict["scenarios"]["conservative"]["overrides"]["deal_size"] = {"mean": -5}
    text = yaml.safe_dump(params_dict, sort_keys=False)
    line = text.splitlines().index("        mean: -5") + 1
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(text))
    assert f"scenarios.conservative.overrides.deal_size.mean (line {line})" in _problems(exc)


# -- small params files: what is missing is learned from the actuals (issue 11) ----------


def _small_file(
    tmp_path, funnel, *, extra: str = "", months: int = 18, start: str = "2025-01-01"
) -> Path:
    from alignlib.synthetic import synthetic_table, write_generic_export

    table = synthetic_table(funnel, start=start, months=months, as_of="2026-06-20", seed=5)
    columns = write_generic_export(table, tmp_path / "export.csv", funnel.stage_names)
    stages = "".join(
        f"  - {{name: {s}, label: {s.title()}, owner: sales}}\n" for s in funnel.stage_names
    )
    mapping = "".join(f"    {k}: {v}\n" for k, v in columns.items())
    text = (
        "quarter: 2026Q3\ntarget: {bookings: 500000}\nstages:\n"
        + stages
        + "actuals:\n  crm_export: export.csv\n  format: csv\n  columns:\n"
        + mapping
        + extra
    )
    path = tmp_path / "2026Q3.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_small_file_learns_rates_lags_deal_size_and_channels(tmp_path):
    from alignlib.synthetic import SyntheticFunnel

    funnel = SyntheticFunnel(
        ("opportunity", "won"),
        (0.3,),
        (40.0,),
        monthly_leads=400,
        deal_size=30_000,
        channels={"partners": 0.25, "inbound": 0.75},
    )
    p = learn_params(load_params(_small_file(tmp_path, funnel)))
    assert p.learned_keys == ("conversion_rates", "lag_days", "deal_size", "channels")
    converted, total = p.conversion_rates["opportunity"].counts
    assert total == p.learned.contacts > 0
    assert abs(converted / total - 0.3) < 4 * (0.3 * 0.7 / total) ** 0.5
    assert p.lag_days["opportunity"].typical == pytest.approx(40, rel=0.1)
    assert p.deal_size.mean == pytest.approx(30_000, rel=0.1)
    assert set(p.channels) == {"partners", "inbound"}
    assert sum(c.share for c in p.channels.values()) == pytest.approx(1)
    assert all(c.cost_per_lead is None for c in p.channels.values())
    # Defaults that follow the funnel: coverage at its only transition, no capacity or SLA.
    assert p.pipeline.stage == "opportunity"
    assert p.capacity is None and p.sla is None


def test_given_sections_win_and_from_actuals_learns_only_what_it_names(tmp_path):
    from alignlib.synthetic import SyntheticFunnel

    funnel = SyntheticFunnel(("mql", "sql", "won"), (0.5, 0.2), (5.0, 30.0), monthly_leads=300)
    extra = "deal_size: {mean: 12000}\nconversion_rates: from_actuals\nlag_days: {mql: {typical: 3}, sql: {typical: 20}}\nchannels: {web: {share: 1, cost_per_lead: 50}}\n"
    p = learn_params(load_params(_small_file(tmp_path, funnel, extra=extra)))
    assert p.learned_keys == ("conversion_rates",)
    assert p.deal_size.mean == 12_000
    assert p.lag_days["mql"].typical == 3
    assert p.conversion_rates["mql"].counts is not None
    assert p.capacity is None


def test_from_actuals_without_actuals_names_the_key_and_line(params_dict, write_params):
    params_dict["deal_size"] = "from_actuals"
    text = yaml.safe_dump(params_dict, sort_keys=False)
    line = next(i + 1 for i, row in enumerate(text.splitlines()) if row.startswith("deal_size"))
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(text))
    assert f"deal_size (line {line}): from_actuals needs an actuals: section" in _problems(exc)


def test_missing_rates_without_actuals_is_a_missing_key(params_dict, write_params):
    del params_dict["conversion_rates"]
    with pytest.raises(ParamsError, match="conversion_rates: required key is missing"):
        load_params(write_params(params_dict))


def test_a_file_without_channels_capacity_sla_and_pipeline_plans(params_dict, write_params):
    from alignlib.planning import build_plan

    for key in ("channels", "capacity", "sla", "pipeline", "scenarios"):
        del params_dict[key]
    params_dict["stages"] = [
        {"name": "lead", "label": "Lead", "owner": "marketing"},
        {"name": "deal", "label": "Deal", "owner": "sales"},
        {"name": "won", "label": "Won", "owner": "sales"},
    ]
    params_dict["conversion_rates"] = {"lead": 0.1, "deal": 0.25}
    params_dict["lag_days"] = {}
    p = load_params(write_params(params_dict))
    assert p.pipeline.stage == "deal"
    plan = build_plan(p)
    assert plan.capacity is None
    assert plan.channels.empty
    assert np.isnan(plan.budget)
    assert plan.funnel.required[-1] == 60  # 1.2M / 20k


def test_learning_from_actuals_that_teach_no_rate_is_a_clear_error(tmp_path):
    from alignlib.synthetic import SyntheticFunnel

    funnel = SyntheticFunnel(("lead", "won"), (0.2,), (200.0,), monthly_leads=50)
    with pytest.raises(
        ParamsError, match="conversion_rates.*cannot be learned.*no conversion rate out of lead"
    ):
        learn_params(load_params(_small_file(tmp_path, funnel, months=3, start="2026-03-01")))


def test_loading_reads_no_data_and_learning_is_its_own_step(tmp_path, monkeypatch):
    from alignlib import crm
    from alignlib.synthetic import SyntheticFunnel

    funnel = SyntheticFunnel(("mql", "sql", "won"), (0.5, 0.2), (5.0, 30.0), monthly_leads=300)
    path = _small_file(tmp_path, funnel, extra="deal_size: {mean: 12000}\n")
    reads = []
    real = crm.load_actuals
    monkeypatch.setattr(crm, "load_actuals", lambda p: reads.append(p) or real(p))
    draft = load_params(path)
    assert reads == []  # loading validated the file without reading the export
    assert draft.pending_keys == ("conversion_rates", "lag_days", "channels")
    assert not draft.is_learned and draft.history is None
    learned = learn_params(draft)
    assert len(reads) == 1
    assert learned.pending_keys == () and learned.is_learned
    assert learned.learned_keys == draft.pending_keys
    assert learned.deal_size.mean == 12_000  # what the file wrote is kept
    assert learned.history.ingest.accepted > 0
    # learning again, planning and a scenario reuse the reading: no second read
    from alignlib.planning import build_plan

    assert learn_params(learned) is learned
    build_plan(learned)
    assert len(reads) == 1


@pytest.mark.parametrize("segment", [".", ".."])
def test_segment_cannot_be_a_relative_folder(params_dict, write_params, segment):
    params_dict["segment"] = segment
    with pytest.raises(ParamsError, match="segment.*must be a name"):
        load_params(write_params(params_dict))


@pytest.mark.parametrize("name", ["leads", "budget", "complete", "label"])
def test_a_stage_cannot_take_a_column_name_of_the_plan(params_dict, write_params, name):
    params_dict["stages"] = [
        {"name": name, "label": "Leads", "owner": "marketing"},
        {"name": "won", "label": "Won", "owner": "sales"},
    ]
    params_dict["conversion_rates"] = {name: 0.1}
    params_dict["lag_days"] = {}
    params_dict["capacity"]["handoff_stage"] = "won"
    params_dict["pipeline"]["stage"] = name
    params_dict["scenarios"] = {}
    with pytest.raises(ParamsError) as exc:
        load_params(write_params(params_dict))
    assert "stages.0.name" in _problems(exc)
    assert f"call the stage e.g. '{name}_stage'" in _problems(exc)


def test_label_mappings_take_yaml_numbers_and_booleans_as_the_labels_written(
    params_dict, write_params
):
    """Issue 20: `{1: won, 0: lost}` for a 0/1 Converted column, `{yes: won, no: lost}` for
    a Yes/No one: YAML reads numbers and booleans, the export's labels are text."""
    from alignlib.params import load_params

    params_dict["actuals"] = {"crm_export": "x.csv", "format": "csv"}
    (write_params("").parent / "x.csv").write_text("id,created\n")

    def mappings(lines: str):
        a = load_params(write_params(yaml.safe_dump(params_dict, sort_keys=False) + lines))
        return a.actuals.outcome_mapping, a.actuals.stage_mapping

    outcome, stage = mappings(
        "  outcome_mapping: {1: won, 0: lost, 2.0: open}\n  stage_mapping: {7: lead}\n"
    )
    assert outcome == {"1": "won", "0": "lost", "2": "open"} and stage == {"7": "lead"}
    outcome, _ = mappings("  outcome_mapping: {yes: won, No: lost}\n")
    assert outcome == {
        **dict.fromkeys(("true", "yes", "y", "on"), "won"),
        **dict.fromkeys(("false", "no", "n", "off"), "lost"),
    }
