# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Architecture decision records in one markdown file (behind the adr_entry module).

The file is a level-1 title followed by entries, each a level-2 heading
``## ADR-NNNN: title``. An entry managed by automation carries a stable id marker on the line
after its heading, ``<!-- adr-id: <id> -->``, so a re-run finds and replaces the same entry
(never a duplicate) while every other entry and the text around it stay byte for byte as they
were. Headings inside fenced code blocks (mermaid diagrams) are not entries.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

STATUSES = ("proposed", "accepted", "rejected", "deprecated", "superseded")
DEFAULT_HEADER = "# Architecture decisions\n"
_HEADING = re.compile(r"^## (?P<label>ADR-(?P<number>\d+)): ?(?P<title>.*?)\s*$")
_MARKER = re.compile(r"^<!-- adr-id: (?P<id>[A-Za-z0-9._-]+) -->\s*$")
_DATE = re.compile(r"^- Date: (?P<date>\S.*?)\s*$")
_STATUS = re.compile(r"^- Status: (?P<status>\S.*?)\s*$")
_ID = re.compile(r"^[A-Za-z0-9._-]+$")
_FENCE = re.compile(r"^(`{3,}|~{3,})")


class AdrError(ValueError):
    pass


def _unfenced(lines):
    """The (index, line) pairs outside code fences (fence lines excluded), and the fence
    character still open at the end (None when every fence is closed)."""
    out = []
    fence = None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)[0]
            elif m.group(1)[0] == fence:
                fence = None
            continue
        if fence is None:
            out.append((i, line))
    return out, fence


def marker(entry_id):
    return "<!-- adr-id: %s -->" % entry_id


def parse(text):
    """Split the markdown into its entries.

    Returns a list of dicts, one per level-2 heading outside code fences: ``start`` and ``end``
    (line indexes of the heading and of the line after its last non-blank line), ``number``
    (int, None for a level-2 heading that is not an ADR), ``title``, ``id`` (marker or None),
    ``status`` and ``date`` (from the ``- Status:`` / ``- Date:`` lines, or None).
    """
    lines = text.splitlines(True)
    heads = [i for i, line in _unfenced(lines)[0] if line.startswith("## ")]
    entries = []
    for k, start in enumerate(heads):
        stop = heads[k + 1] if k + 1 < len(heads) else len(lines)
        end = stop
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        m = _HEADING.match(lines[start].rstrip("\n"))
        entry = {"start": start, "end": end, "number": int(m.group("number")) if m else None,
                 "label": m.group("label") if m else None,
                 "title": m.group("title") if m else lines[start][3:].strip(),
                 "id": None, "status": None, "date": None}
        body = lines[start + 1:end]
        if body:
            mm = _MARKER.match(body[0].rstrip("\n"))
            if mm:
                entry["id"] = mm.group("id")
        for line in body:
            line = line.rstrip("\n")
            if entry["status"] is None and _STATUS.match(line):
                entry["status"] = _STATUS.match(line).group("status")
            if entry["date"] is None and _DATE.match(line):
                entry["date"] = _DATE.match(line).group("date")
        entries.append(entry)
    return entries


def validate(text):
    """Problems of the file as a list of strings: ADR numbers twice, ids twice, bad status."""
    problems = []
    seen_numbers, seen_ids = {}, {}
    for e in parse(text):
        if e["number"] is None:
            continue
        if e["number"] in seen_numbers:
            problems.append("ADR-%04d appears twice" % e["number"])
        seen_numbers[e["number"]] = e
        if e["id"]:
            if e["id"] in seen_ids:
                problems.append("adr-id %s appears twice" % e["id"])
            seen_ids[e["id"]] = e
        if e["status"] is None:
            problems.append("ADR-%04d has no '- Status:' line" % e["number"])
        elif e["status"].split()[0] not in STATUSES:
            problems.append("ADR-%04d: status %r is not one of %s" % (e["number"], e["status"], ", ".join(STATUSES)))
    return problems


def render(number, entry_id, title, status, date, sections):
    """The entry's markdown, ending with one newline."""
    if not _ID.match(entry_id or ""):
        raise AdrError("id %r: use letters, digits, '.', '_' and '-' only" % (entry_id,))
    if not title or "\n" in title:
        raise AdrError("title must be one non-empty line")
    if status not in STATUSES:
        raise AdrError("status %r is not one of %s" % (status, ", ".join(STATUSES)))
    if not date or "\n" in str(date):
        raise AdrError("date must be one non-empty line")
    out = ["## ADR-%04d: %s" % (number, title.strip()), marker(entry_id), "",
           "- Status: %s" % status, "- Date: %s" % date]
    titles = set()
    for k, section in enumerate(sections or []):
        if not isinstance(section, dict) or not section.get("title"):
            raise AdrError("sections[%d]: needs a title" % k)
        stitle = str(section["title"]).strip()
        if "\n" in stitle:
            raise AdrError("sections[%d]: title must be one line" % k)
        if stitle in titles:
            raise AdrError("sections[%d]: title %r appears twice" % (k, stitle))
        titles.add(stitle)
        body = str(section.get("body") or "").strip("\n")
        outside, fence = _unfenced(body.splitlines())
        for _i, line in outside:
            if line.startswith("## ") or line.startswith("# "):
                raise AdrError("sections[%d] (%s): a level-1 or level-2 heading in the body would "
                               "start a new entry: %r" % (k, stitle, line))
        if fence is not None:
            raise AdrError("sections[%d] (%s): a code fence is not closed" % (k, stitle))
        out += ["", "### %s" % stitle]
        if body.strip():
            out.append(body.rstrip())
    return "\n".join(line.rstrip() for line in out) + "\n"


def upsert(text, entry_id, title, status, sections, date=None, today=None):
    """Create or replace the entry with marker ``entry_id``.

    The date is kept when nothing else changes (so a re-run is a no-op on any day); otherwise it
    is ``date`` or ``today``. Returns (new text, {"action": created|updated|unchanged,
    "number": int, "label": "ADR-NNNN", "date": str}).
    """
    if text is None or not text.strip():
        text = DEFAULT_HEADER
    entries = parse(text)
    mine = [e for e in entries if e["id"] == entry_id]
    if len(mine) > 1:
        raise AdrError("adr-id %s appears %d times; fix the file by hand" % (entry_id, len(mine)))
    lines = text.splitlines(True)
    if mine:
        e = mine[0]
        if e["number"] is None:
            raise AdrError("adr-id %s is under a heading that is not '## ADR-NNNN: ...'" % entry_id)
        old = "".join(lines[e["start"]:e["end"]])
        if not old.endswith("\n"):
            old += "\n"
        kept = render(e["number"], entry_id, title, status, e["date"] or date or today, sections)
        if kept == old:
            return text, {"action": "unchanged", "number": e["number"], "label": "ADR-%04d" % e["number"],
                          "date": e["date"]}
        new_date = date or today
        new = render(e["number"], entry_id, title, status, new_date, sections)
        tail = "".join(lines[e["end"]:])
        head = "".join(lines[:e["start"]])
        if not tail.strip():
            tail = ""
        return head + new + tail, {"action": "updated", "number": e["number"],
                                   "label": "ADR-%04d" % e["number"], "date": new_date}
    numbers = [e["number"] for e in entries if e["number"] is not None]
    number = max(numbers) + 1 if numbers else 1
    new_date = date or today
    new = render(number, entry_id, title, status, new_date, sections)
    return text.rstrip("\n") + "\n\n" + new, {"action": "created", "number": number,
                                              "label": "ADR-%04d" % number, "date": new_date}
