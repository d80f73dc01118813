"""The glue the workflow scripts call: ``steps`` (one function per pipeline stage), ``analysis`` (one study table
+ settings → pooled rows, for the analyse and sensitivity rules) and ``io`` (atomic, deterministic writes and the
user-error exit). May import every other subpackage.
"""
