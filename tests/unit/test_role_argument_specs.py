"""Every role documents every public variable: defaults/main.yml and meta/argument_specs.yml
must name the same variables, each prefixed with the role's name."""
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROLES = sorted(d for d in os.listdir(os.path.join(ROOT, "roles"))
               if os.path.isdir(os.path.join(ROOT, "roles", d)))


def load(role, *path):
    with open(os.path.join(ROOT, "roles", role, *path)) as f:
        return yaml.safe_load(f) or {}


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_argument_specs(role):
    defaults = set(load(role, "defaults", "main.yml"))
    specs = load(role, "meta", "argument_specs.yml")["argument_specs"]
    documented = set(specs["main"]["options"])
    assert defaults - documented == set(), "undocumented defaults"
    assert documented - defaults == set(), "documented but no default"
    for entry, spec in specs.items():
        for name, opt in spec.get("options", {}).items():
            assert opt.get("description"), "%s:%s has no description" % (entry, name)


@pytest.mark.parametrize("role", ROLES)
def test_variables_are_prefixed(role):
    for name in load(role, "defaults", "main.yml"):
        assert name.startswith(role + "_"), name
    for name in load(role, "vars", "main.yml") if os.path.exists(
            os.path.join(ROOT, "roles", role, "vars", "main.yml")) else []:
        assert name.startswith("_" + role + "_"), name
