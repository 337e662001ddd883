"""The AWX job test (tests/awx/test_awx_runner.py) in this scenario's verify, on the converged
fleet: the assess job template through ansible-runner as AWX runs it, its ADR entry compared with
the numbers measured in the same job, a second job without change."""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY",
                                               os.path.join(os.path.dirname(__file__), "..", "..", "..")),
                                "tests", "awx"))
from test_awx_runner import *  # noqa: E402,F401,F403  (tests and fixtures)
