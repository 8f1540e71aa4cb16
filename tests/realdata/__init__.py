"""Where the real public CRM files are: beside the checkout, or ``$ALIGNLIB_REALDATA``.

A clone elsewhere (a temporary folder) points the variable at the files so that the
real-data tests run rather than skip.
"""

from __future__ import annotations

import os
from pathlib import Path

from alignlib.paths import PROJECT_ROOT

REAL = Path(os.environ.get("ALIGNLIB_REALDATA") or PROJECT_ROOT.parent / "shared" / "realdata")
MAVEN = REAL / "maven_sales_pipeline.csv"
MQLS = REAL / "olist_mqls.csv"
DEALS = REAL / "olist_closed_deals.csv"
