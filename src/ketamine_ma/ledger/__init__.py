"""The evidence ledger: ``vocabulary`` (enumerations, ``LedgerError``), ``schemas`` (pandera), ``tables``
(reading, validation, evidence checks), ``studies`` (ledger rows → one study table per analysis) and
``conservation`` (every ledger row pooled or excluded). May import ``engine``; nothing from ``outputs`` or
``stages``.
"""
