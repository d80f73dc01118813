"""What a reader looks at: ``plots``, ``captions``, ``report``, ``notebooks``, ``umbrella``, ``audit`` (published
figures checked for internal consistency) and ``reproduction`` (published figures against ours). May import
``engine`` and ``ledger``; nothing from ``stages``.
"""
