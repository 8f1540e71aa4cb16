"""What the actuals teach, and the step that learns it for a parameters file.

- :mod:`~alignlib.history.funnel`: conversion counts over matured cohorts, lags, deal sizes
  and lead volume learned from a normalised CRM table (:func:`learn`,
  :class:`FunnelHistory`), and the table as it stood on an earlier date
  (:func:`table_as_of`).
- :mod:`~alignlib.history.channels`: each channel's own rates and deal size, shrunk toward
  the blended ones and re-centred on the parameters (:func:`channel_funnels`).
- :mod:`~alignlib.history.learning`: the one step that reads a parameters file's CRM
  source and fills what the file leaves to the actuals (:func:`learn_params`).
"""
