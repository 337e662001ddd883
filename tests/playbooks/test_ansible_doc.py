"""`ansible-doc` shows a page for every module, every filter and every role entry point of the
collection, as an operator (or AWX) resolves them through ansible.cfg.

The lists come from the files, so a new module, filter or role is checked without editing this
test: plugins/modules/*.py, the filters each plugins/filter/*.py registers (each needs its sidecar
plugins/filter/<name>.yml), roles/*/meta/argument_specs.yml.
"""
import glob
import importlib
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NS = "investment.orchestration"
sys.path.insert(0, os.path.join(ROOT, "collections"))


def _names(pattern, strip):
    return sorted(os.path.basename(p)[:-len(strip)] for p in glob.glob(os.path.join(ROOT, pattern))
                  if not os.path.basename(p).startswith("_"))


MODULES = _names("plugins/modules/*.py", ".py")
FILTER_DOCS = _names("plugins/filter/*.yml", ".yml")
ROLES = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
               for p in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")))


def registered_filters():
    names = set()
    for plugin in _names("plugins/filter/*.py", ".py"):
        mod = importlib.import_module("ansible_collections.%s.plugins.filter.%s" % (NS, plugin))
        names.update(mod.FilterModule().filters())
    return sorted(names)


def ansible_doc(kind, names):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-doc", "-t", kind, "--json"] + ["%s.%s" % (NS, n) for n in names],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout or "{}"), proc.stderr


@pytest.fixture(scope="module")
def module_docs():
    return ansible_doc("module", MODULES)


@pytest.fixture(scope="module")
def filter_docs():
    return ansible_doc("filter", registered_filters())


@pytest.fixture(scope="module")
def role_docs():
    return ansible_doc("role", ROLES)


def test_there_is_something_to_check():
    assert MODULES and FILTER_DOCS and ROLES


def test_every_registered_filter_has_a_sidecar_and_no_sidecar_is_orphaned():
    assert registered_filters() == FILTER_DOCS


@pytest.mark.parametrize("name", MODULES)
def test_module_page(module_docs, name):
    docs, stderr = module_docs
    page = docs.get("%s.%s" % (NS, name))
    assert page, "ansible-doc -t module %s.%s: no page\n%s" % (NS, name, stderr)
    doc = page["doc"]
    assert doc.get("short_description") and doc.get("description"), doc
    assert page.get("examples"), "no EXAMPLES"
    assert page.get("return") is not None, "no RETURN"
    for opt, spec in (doc.get("options") or {}).items():
        assert spec.get("description"), "option %s has no description" % opt


@pytest.mark.parametrize("name", FILTER_DOCS)
def test_filter_page(filter_docs, name):
    docs, stderr = filter_docs
    page = docs.get("%s.%s" % (NS, name))
    assert page, "ansible-doc -t filter %s.%s: no page\n%s" % (NS, name, stderr)
    doc = page["doc"]
    assert doc.get("short_description") and doc.get("description"), doc
    assert doc.get("positional") is not None or doc.get("options"), "no input documented"
    assert page.get("examples"), "no EXAMPLES"
    assert page.get("return"), "no RETURN"


@pytest.mark.parametrize("name", ROLES)
def test_role_page_shows_every_argument(role_docs, name):
    docs, stderr = role_docs
    page = docs.get("%s.%s" % (NS, name))
    assert page, "ansible-doc -t role %s.%s: no page\n%s" % (NS, name, stderr)
    with open(os.path.join(ROOT, "roles", name, "meta", "argument_specs.yml")) as f:
        specs = yaml.safe_load(f)["argument_specs"]
    assert sorted(page["entry_points"]) == sorted(specs)
    for entry, spec in specs.items():
        shown = page["entry_points"][entry]
        assert shown.get("short_description"), "%s: entry point %s has no short_description" % (name, entry)
        assert sorted(shown.get("options") or {}) == sorted(spec.get("options") or {}), (name, entry)
        for opt, ospec in (shown.get("options") or {}).items():
            assert ospec.get("description"), "%s %s: option %s has no description" % (name, entry, opt)
