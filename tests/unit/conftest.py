"""Make `ansible_collections.investment.orchestration` importable from a plain checkout:
collections/ansible_collections/investment/orchestration links to the repository root."""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS = os.path.join(ROOT, "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
