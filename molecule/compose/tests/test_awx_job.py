"""The AWX job test (tests/awx/test_awx_runner.py) in this scenario's verify, on the converged
fleet: the assess job template through ansible-runner as AWX runs it, its ADR entry compared with
the numbers measured in the same job, a second job without change."""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY",
                                               os.path.join(os.path.dirname(__file__), "..", "..", "..")),
                                "tests", "awx"))
# in the order of tests/awx/test_awx_runner.py (pytest runs them in import order): the secret
# check comes last, after both jobs wrote their artifacts
from test_awx_runner import (  # noqa: E402  pylint: disable=wrong-import-position
    first_job,
    monkeymodule,
    private_data_dir,
    test_job_status_rc_and_artifacts,
    test_adr_numbers_are_the_measured_ones,
    test_second_job_through_transmit_worker_process_changes_nothing,
    test_no_secret_in_artifacts_env_is_stored,
)

__all__ = ["first_job", "monkeymodule", "private_data_dir", "test_adr_numbers_are_the_measured_ones",
           "test_job_status_rc_and_artifacts", "test_no_secret_in_artifacts_env_is_stored",
           "test_second_job_through_transmit_worker_process_changes_nothing"]
