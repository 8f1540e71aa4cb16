"""One BLAS thread around small numerical fits (the ETS models of the forecast).

SciPy's L-BFGS-B (from 1.15, in C over BLAS/LAPACK) makes many tiny BLAS calls;
with OpenBLAS's threads each call wakes a thread pool, which costs more than the
call itself, badly so on a busy machine (scipy/scipy#22438: the fix there is one
BLAS thread). The statsmodels ETS fits of :func:`~alignlib.metrics.forecast_volumes`
are such problems: on the 1M-row benchmark the forecast took 2-3 times the CPU
with threaded OpenBLAS, for the same numbers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Within the block, BLAS libraries (OpenBLAS, MKL, ...) use one thread.

    Yields
    ------
    None
        Nothing: the limit holds inside the block and is lifted after it.
    """
    from threadpoolctl import threadpool_limits  # imported here: only the forecast needs it

    with threadpool_limits(limits=1, user_api="blas"):
        yield
