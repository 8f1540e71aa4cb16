"""The engine: same seed, same numbers however the work is scheduled (threads, chunks, dask)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from alignlib.errors import InputError
from alignlib.simulation import (
    BLOCK_TRIALS,
    LeadVolume,
    build_model,
    engine,
    plan_for_confidence,
    sensitivity,
    simulate_funnel,
)
from tests.simulation._simulation_helpers import COUNT_RATES, FIXED_RATES, STAGES

# --------------------------------------------------------------------------- determinism


def test_same_seed_same_numbers_whatever_chunking_and_workers():
    trials = 2 * BLOCK_TRIALS + 1234
    kwargs = dict(
        leads=LeadVolume.poisson(800),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(20_000, 9_000),
        trials=trials,
        seed=42,
        lags=[(5, 2)] * 5,
    )
    a = simulate_funnel(**kwargs, workers=1)
    b = simulate_funnel(**kwargs, workers=2, chunk_size=1)
    c = simulate_funnel(**kwargs, workers=3, chunk_size=10**6)
    for other in (b, c):
        np.testing.assert_array_equal(a.stage_counts, other.stage_counts)
        np.testing.assert_array_equal(a.revenue, other.revenue)
        np.testing.assert_array_equal(a.revenue_after, other.revenue_after)
        np.testing.assert_array_equal(a.won_in_quarter, other.won_in_quarter)
    d = simulate_funnel(**{**kwargs, "seed": 43})
    assert not np.array_equal(a.revenue, d.revenue)
    assert not np.array_equal(a.won, d.won)


def test_result_seed_reproduces_an_unseeded_run_and_rng_is_accepted():
    kwargs = dict(leads=500, stages=STAGES, rates=COUNT_RATES, deal_size=1.0, trials=5000)
    first = simulate_funnel(**kwargs)
    again = simulate_funnel(**kwargs, seed=first.seed)
    np.testing.assert_array_equal(first.won, again.won)
    r1 = simulate_funnel(**kwargs, rng=np.random.default_rng(5))
    r2 = simulate_funnel(**kwargs, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(r1.won, r2.won)
    with pytest.raises(InputError, match="either seed or rng"):
        simulate_funnel(**kwargs, seed=1, rng=np.random.default_rng(1))


def test_progress_callback_counts_every_trial():
    seen = []
    simulate_funnel(
        leads=100,
        stages=STAGES,
        rates=FIXED_RATES,
        deal_size=1.0,
        trials=BLOCK_TRIALS + 10,
        seed=1,
        progress=seen.append,
    )
    assert sum(seen) == BLOCK_TRIALS + 10 and len(seen) == 2


# --------------------------------------------------------------------------- dask


def _dask_kwargs():
    return dict(
        leads=LeadVolume.poisson(800),
        stages=["lead", "sql", "opportunity", "won"],
        rates=[(30, 100), (50, 100), (20, 80)],
        deal_size=(20_000, 9_000),
        trials=2 * BLOCK_TRIALS + 77,
        seed=5,
        lags=[(5, 2)] * 3,
    )


def _assert_same(a, b):
    np.testing.assert_array_equal(a.stage_counts, b.stage_counts)
    np.testing.assert_array_equal(a.revenue, b.revenue)
    np.testing.assert_array_equal(a.revenue_after, b.revenue_after)
    np.testing.assert_array_equal(a.won_in_quarter, b.won_in_quarter)


@pytest.mark.parametrize("processes", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_dask_cluster_gives_the_local_numbers(processes):
    distributed = pytest.importorskip("distributed")
    local = simulate_funnel(**_dask_kwargs())
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=processes,
            host="127.0.0.1",
            protocol="tcp",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        seen = []
        on_client = simulate_funnel(**_dask_kwargs(), client=client, progress=seen.append)
        by_address = simulate_funnel(**_dask_kwargs(), scheduler=cluster.scheduler_address)
    _assert_same(local, on_client)
    _assert_same(local, by_address)
    assert sum(seen) == local.trials


@pytest.mark.parametrize(
    "entry",
    [
        lambda **kw: simulate_funnel(leads=100, **kw),
        lambda **kw: plan_for_confidence(target=10.0, **kw),
        lambda **kw: sensitivity(target=10.0, leads=100, **kw),
    ],
    ids=["simulate_funnel", "plan_for_confidence", "sensitivity"],
)
def test_entry_points_check_trials_then_funnel_then_seed(entry):
    bad_rates = [*FIXED_RATES[:-1], 1.5]
    both = dict(seed=1, rng=np.random.default_rng(1))
    with pytest.raises(InputError, match="trials"):
        entry(stages=STAGES, rates=bad_rates, deal_size=1.0, trials=0, **both)
    with pytest.raises(InputError, match="1.5"):
        entry(stages=STAGES, rates=bad_rates, deal_size=1.0, trials=100, **both)
    with pytest.raises(InputError, match="either seed or rng"):
        entry(stages=STAGES, rates=FIXED_RATES, deal_size=1.0, trials=100, **both)


# --------------------------------------------------------------------------- model or keywords


def _funnel():
    return dict(
        leads=LeadVolume.monthly([300, 300, 400], 40.0),
        stages=STAGES,
        rates=COUNT_RATES,
        deal_size=(20_000, 9_000),
        lags=[(5, 2), (3, 2), (7, 3), (10, 5), (30, 10)],
        quarter_days=92,
        lead_window_start=-55,
        carry_in=True,
    )


def test_keyword_form_equals_model_form_for_the_same_seed():
    model = build_model(**_funnel())
    a = simulate_funnel(model, trials=BLOCK_TRIALS + 99, seed=8)
    b = simulate_funnel(**_funnel(), trials=BLOCK_TRIALS + 99, seed=8)
    for name in (
        "stage_counts",
        "won_in_quarter",
        "won_carried_in",
        "revenue",
        "revenue_after",
        "revenue_before",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.model == b.model
    plan_kw = plan_for_confidence(target=400_000.0, trials=2000, seed=3, **_funnel())
    assert plan_for_confidence(model, target=400_000.0, trials=2000, seed=3) == plan_kw
    sens_kw = sensitivity(target=400_000.0, trials=2000, seed=3, **_funnel())
    assert sensitivity(model, target=400_000.0, trials=2000, seed=3) == sens_kw


def test_model_and_keywords_together_or_neither_are_refused():
    model = build_model(leads=10, stages=STAGES, rates=FIXED_RATES, deal_size=1.0)
    with pytest.raises(InputError, match="not both"):
        simulate_funnel(model, leads=20, trials=10)
    with pytest.raises(InputError, match="missing: rates, deal_size"):
        simulate_funnel(leads=20, stages=STAGES, trials=10)
    with pytest.raises(InputError, match="not a FunnelModel"):
        sensitivity({"leads": 10}, target=1.0, trials=10)  # type: ignore[arg-type]
    # the default number of trials is the documented one
    assert simulate_funnel(model, seed=1, workers=1).trials == 100_000


# --------------------------------------------------------------------------- Ctrl-C


def _slow_blocks(monkeypatch, seconds=0.05):
    """Count the blocks simulated, each taking ``seconds`` (so a run is long enough to stop)."""
    calls = []
    real = engine.simulate_block

    def slow(*args, **kwargs):
        calls.append(args[2])
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "simulate_block", slow)
    return calls


def test_a_cancelled_chunk_stops_before_its_next_block(monkeypatch):
    calls = _slow_blocks(monkeypatch, 0.0)
    model = build_model(leads=100, stages=STAGES, rates=FIXED_RATES, deal_size=1.0)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(engine.Cancelled):
        engine.run_chunk(model, 1, [(0, 10), (1, 10)], 16, cancel)
    assert calls == []
    cancel.clear()
    real = engine.simulate_block

    def set_after_first(*args, **kwargs):
        cancel.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "simulate_block", set_after_first)
    with pytest.raises(engine.Cancelled):
        engine.run_chunk(model, 1, [(0, 10), (1, 10), (2, 10)], 16, cancel)


def test_ctrl_c_cancels_queued_chunks_and_stops_running_ones(monkeypatch):
    calls = _slow_blocks(monkeypatch, 0.1)
    n_blocks = 40

    def interrupt(_n):
        raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        simulate_funnel(
            leads=100,
            stages=["lead", "won"],
            rates=[0.5],
            deal_size=1.0,
            trials=n_blocks * BLOCK_TRIALS,
            seed=1,
            workers=2,
            progress=interrupt,
        )
    waited = time.monotonic() - start
    time.sleep(0.3)  # let the running blocks finish
    # without cancelling, the pool would wait for all 40 blocks (2 s) before letting Ctrl-C out
    assert waited < 1.0
    assert len(calls) <= 6, calls


def test_ctrl_c_on_a_dask_cluster_cancels_its_tasks(monkeypatch):
    distributed = pytest.importorskip("distributed")
    calls = _slow_blocks(monkeypatch, 0.1)

    def interrupt(_n):
        raise KeyboardInterrupt

    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            host="127.0.0.1",
            protocol="tcp",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with pytest.raises(KeyboardInterrupt):
            simulate_funnel(
                leads=100,
                stages=["lead", "won"],
                rates=[0.5],
                deal_size=1.0,
                trials=40 * BLOCK_TRIALS,
                seed=1,
                client=client,
                progress=interrupt,
            )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and client.run_on_scheduler(
            lambda dask_scheduler: sum(
                1 for ts in dask_scheduler.tasks.values() if ts.state != "memory"
            )
        ):
            time.sleep(0.05)
        time.sleep(0.3)
        assert len(calls) < 10, calls
