"""`python -m pipelines run`: see pipelines/cli.py."""

import logging
import os
import sys

from pipelines.cli import main

# Guarded: the report writers are spawned processes, which import this module too.
if __name__ == "__main__":
    code = main()
    # Everything the command wrote is closed by now. Python's own teardown of the
    # millions of objects Dagster and Great Expectations create takes 1.5 s, longer
    # than the sample's whole SQL build, so the process ends without it.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
