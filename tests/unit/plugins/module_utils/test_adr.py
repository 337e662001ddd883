import os

import pytest

from ansible_collections.investment.orchestration.plugins.module_utils import adr

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
DECISIONS = os.path.join(ROOT, "docs", "decisions.md")

MERMAID = "```mermaid\nflowchart LR\n  a --> b\n## not a heading inside the fence\n```"
SECTIONS = [
    {"title": "Context", "body": "Four hosts, 1 GB each.\n"},
    {"title": "Decision", "body": "Keep Compose."},
    {"title": "Topology", "body": MERMAID},
]


def original():
    with open(DECISIONS) as f:
        return f.read()


def test_parse_real_file():
    entries = adr.parse(original())
    assert [e["label"] for e in entries][:1] == ["ADR-0001"]
    first = entries[0]
    assert first["status"] == "accepted" and first["id"] is None and first["date"]
    assert adr.validate(original()) == []


def test_create_appends_next_number_and_keeps_adr_0001():
    text = original()
    new, info = adr.upsert(text, "fleet-plan", "Keep Compose", "proposed", SECTIONS, today="2026-11-25")
    numbers = [e["number"] for e in adr.parse(text) if e["number"]]
    assert info == {"action": "created", "number": max(numbers) + 1, "label": "ADR-%04d" % (max(numbers) + 1),
                    "date": "2026-11-25"}
    assert new.startswith(text.rstrip("\n") + "\n\n## ADR-%04d: Keep Compose\n<!-- adr-id: fleet-plan -->\n" % info["number"])
    assert adr.validate(new) == []
    entries = adr.parse(new)
    mine = [e for e in entries if e["id"] == "fleet-plan"]
    assert len(mine) == 1 and mine[0]["status"] == "proposed" and mine[0]["date"] == "2026-11-25"
    # the heading inside the mermaid fence is not an entry
    assert len(entries) == len(adr.parse(text)) + 1
    assert "### Topology\n```mermaid\nflowchart LR\n" in new and new.endswith("```\n")


def test_second_run_unchanged_on_another_day():
    once = adr.upsert(original(), "fleet-plan", "Keep Compose", "proposed", SECTIONS, today="2026-11-25")[0]
    twice, info = adr.upsert(once, "fleet-plan", "Keep Compose", "proposed", SECTIONS, today="2027-01-02")
    assert twice == once and info["action"] == "unchanged" and info["date"] == "2026-11-25"


def test_update_in_place_between_other_entries():
    text = original()
    once, info = adr.upsert(text, "fleet-plan", "Keep Compose", "proposed", SECTIONS, today="2026-11-25")
    later = "## ADR-%04d: Written by hand later\n\n- Status: accepted\n- Date: 2026-12-01\n\nbody\n" % (info["number"] + 1)
    both = once + "\n" + later
    sections = [dict(s) for s in SECTIONS]
    sections[1]["body"] = "Plan 2."
    new, info2 = adr.upsert(both, "fleet-plan", "Plan 2", "accepted", sections, today="2026-12-05")
    assert info2["action"] == "updated" and info2["number"] == info["number"] and info2["date"] == "2026-12-05"
    assert new.startswith(text.rstrip("\n") + "\n\n")      # ADR-0001 and the title untouched
    assert new.endswith("\n\n" + later)                     # the later entry untouched
    assert new.count("<!-- adr-id: fleet-plan -->") == 1
    assert "Keep Compose" not in new.split("<!-- adr-id: fleet-plan -->")[1].split("ADR-%04d" % (info["number"] + 1))[0]
    assert "- Status: accepted\n- Date: 2026-12-05\n" in new
    assert adr.validate(new) == []


def test_empty_or_missing_file_gets_a_title():
    new, info = adr.upsert("", "x", "T", "proposed", [], today="2026-01-01")
    assert new == "# Architecture decisions\n\n## ADR-0001: T\n<!-- adr-id: x -->\n\n- Status: proposed\n- Date: 2026-01-01\n"
    assert info["number"] == 1


def test_refusals():
    with pytest.raises(adr.AdrError, match="new entry"):
        adr.upsert(original(), "x", "T", "proposed", [{"title": "C", "body": "## Oops"}], today="d")
    with pytest.raises(adr.AdrError, match="not closed"):
        adr.upsert(original(), "x", "T", "proposed", [{"title": "C", "body": "```mermaid\nflowchart LR"}], today="d")
    with pytest.raises(adr.AdrError, match="status"):
        adr.upsert(original(), "x", "T", "maybe", [], today="d")
    with pytest.raises(adr.AdrError, match="id"):
        adr.upsert(original(), "bad id", "T", "proposed", [], today="d")
    with pytest.raises(adr.AdrError, match="twice"):
        adr.upsert(original(), "x", "T", "proposed", [{"title": "C"}, {"title": "C"}], today="d")
    dup = "# A\n\n## ADR-0001: a\n<!-- adr-id: x -->\n\n- Status: proposed\n\n## ADR-0002: b\n<!-- adr-id: x -->\n"
    with pytest.raises(adr.AdrError, match="appears 2 times"):
        adr.upsert(dup, "x", "T", "proposed", [], today="d")
    assert "adr-id x appears twice" in adr.validate(dup)
    assert adr.validate("# A\n\n## ADR-0001: a\n\n- Status: done\n\n## ADR-0001: b\n") == [
        "ADR-0001: status 'done' is not one of proposed, accepted, rejected, deprecated, superseded",
        "ADR-0001 appears twice", "ADR-0001 has no '- Status:' line"]
