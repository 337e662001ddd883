"""Fixtures of the testinfra suites: the sandbox fleet (tests/lib/sandbox_fleet.py)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "lib"))
from sandbox_fleet import DOMAIN, HOSTS, ROLES, SERVICES, compose_ps, fleet, nothing_lost, probe_tcp, served_by  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
