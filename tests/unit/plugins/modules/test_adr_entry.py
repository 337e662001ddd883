import json
import os
import re
import shutil

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.investment.orchestration.plugins.modules import adr_entry

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ARGS = {"id": "fleet-plan", "title": "Keep Compose", "status": "proposed",
        "sections": [{"title": "Context", "body": "1 GB hosts."}, {"title": "Decision", "body": "Keep Compose."}]}


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            adr_entry.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_diff_then_write_then_no_change(tmp_path, capsys):
    path = str(tmp_path / "decisions.md")
    shutil.copy(os.path.join(ROOT, "docs", "decisions.md"), path)
    with open(path) as f:
        before = f.read()
    label = "ADR-%04d" % (max(int(n) for n in re.findall(r"^## ADR-(\d{4})", before, re.M)) + 1)
    r = run(capsys, path=path, _ansible_check_mode=True, _ansible_diff=True, **ARGS)
    assert r["changed"] and r["action"] == "created" and r["label"] == label
    assert r["diff"]["before"] == before and "<!-- adr-id: fleet-plan -->" in r["diff"]["after"]
    with open(path) as f:
        assert f.read() == before  # check mode wrote nothing
    r = run(capsys, path=path, **ARGS)
    assert r["changed"] and r["action"] == "created"
    with open(path) as f:
        written = f.read()
    assert written.startswith(before.rstrip("\n") + "\n\n## %s: Keep Compose\n" % label)
    r = run(capsys, path=path, **ARGS)
    assert not r["changed"] and r["action"] == "unchanged"
    with open(path) as f:
        assert f.read() == written


def test_missing_file_is_created(tmp_path, capsys):
    path = str(tmp_path / "docs.md")
    r = run(capsys, path=path, date="2026-11-25", **ARGS)
    assert r["changed"] and r["number"] == 1
    with open(path) as f:
        assert f.read().startswith("# Architecture decisions\n\n## ADR-0001: Keep Compose\n")


def test_bad_section_fails(tmp_path, capsys):
    args = dict(ARGS)
    args.update(sections=[{"title": "C", "body": "# heading"}], path=str(tmp_path / "d.md"))
    r = run(capsys, **args)
    assert r["failed"] and "new entry" in r["msg"]
