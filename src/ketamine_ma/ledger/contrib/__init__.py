"""Contributions (``data/contrib/``), one module per job: ``read`` the units, ``validate`` their rows into ledger
rows, ``merge`` them into a review's processed ledger, and the ``memory`` of what the last run merged."""
