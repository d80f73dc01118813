import sys
from pathlib import Path

# The package of this checkout (not an installed copy) does the checking, as it does in the jobs.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from ketamine_ma.stages import specs as _specs


def stop(message):
    """End the run before any job with one line on the console: no traceback, no schema dump."""
    sys.exit(f"ERROR: {message}")


try:
    _specs.read_yaml(Path(workflow.basedir) / "config/config.yaml", workflow.basedir)
except _specs.SpecError as _e:
    stop(_e)
