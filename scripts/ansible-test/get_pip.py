"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads from
ci-files.testing.ansible.com (unreachable here). Like get-pip.py it runs `pip install` with its
arguments, from a pip wheel taken from PyPI (IO_PIP_WHEEL), dropping get-pip's own options."""
import os
import sys

wheel = os.environ.get("IO_PIP_WHEEL") or os.path.join(os.path.dirname(__file__), "pip.whl")
sys.path.insert(0, wheel)
from pip._internal.cli.main import main  # noqa: E402

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
