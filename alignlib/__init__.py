"""alignlib: one shared set of numbers for sales and marketing.

Plan a quarter from the bookings target back to leads (``alignlib.planning``),
simulate the odds of hitting it (``alignlib.simulation``), measure actuals from
CRM exports (``alignlib.crm``, ``alignlib.metrics``), read experiments
(``alignlib.experiments``) and render the quarterly reports (``alignlib.batch``).
"""

__version__ = "0.1.0"
