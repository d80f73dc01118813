"""Contributions (``data/contrib/``), one module per job: ``route`` them to the reviews they touch (at every
Snakemake start), ``read`` the units, ``validate`` their rows into ledger rows, ``merge`` them into a review's
processed ledger, and the ``memory`` of what the last run merged."""
