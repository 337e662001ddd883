#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: adr_entry
short_description: Create or update one architecture decision record in a markdown file
version_added: 0.1.0
author: investment platform team (!UNKNOWN)
description:
  - "Manages one entry C(## ADR-NNNN: title) of an ADR file such as C(docs/decisions.md). The entry
    carries the marker C(<!-- adr-id: ID -->) on the line after its heading; a re-run finds it by
    that marker and replaces it in place, so there is never a duplicate."
  - A new entry gets the next free ADR number and is appended. Every other entry and all text
    around the managed entry stay byte for byte as they were.
  - The C(- Date:) line keeps its value when nothing else in the entry changes, so a second run
    reports no change on any day.
  - Headings inside fenced code blocks (for example a mermaid diagram) do not start entries. A
    section body may not contain a level-1 or level-2 heading.
options:
  path:
    description: The markdown file. Created with a C(# Architecture decisions) title when missing.
    type: path
    required: true
  id:
    description: Stable id of the entry (letters, digits, C(.), C(_), C(-)).
    type: str
    required: true
  title:
    description: "The entry's title, after C(ADR-NNNN:)."
    type: str
    required: true
  status:
    description: The decision's status.
    type: str
    choices: [proposed, accepted, rejected, deprecated, superseded]
    default: proposed
  date:
    description: Date written when the entry is created or changed (default today, UTC, on the
      target).
    type: str
  sections:
    description: The entry's sections in order, each a C(### title) with its markdown C(body).
    type: list
    elements: dict
    default: []
    suboptions:
      title:
        description: Section title.
        type: str
        required: true
      body:
        description: Section body (markdown).
        type: str
        default: ""
attributes:
  check_mode:
    support: full
    description: Computes the new file and its diff without writing.
  diff_mode:
    support: full
    description: The whole file before and after.
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Record the plan decision
  investment.orchestration.adr_entry:
    path: /srv/infra/docs/decisions.md
    id: fleet-plan
    title: Keep Docker Compose on the fleet
    status: proposed
    sections:
      - title: Context
        body: Four hosts of 1 GB in four regions ...
      - title: Decision
        body: Keep Compose; strengthen monitoring.
"""

RETURN = r"""
action:
  description: C(created), C(updated) or C(unchanged).
  returned: always
  type: str
  sample: updated
number:
  description: The entry's ADR number.
  returned: always
  type: int
  sample: 2
label:
  description: C(ADR-NNNN).
  returned: always
  type: str
  sample: ADR-0002
date:
  description: The entry's C(- Date:) value after the run.
  returned: always
  type: str
  sample: "2026-11-25"
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.investment.orchestration.plugins.module_utils.adr import (
    STATUSES,
    AdrError,
    upsert,
    validate,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            id=dict(type="str", required=True),
            title=dict(type="str", required=True),
            status=dict(type="str", choices=list(STATUSES), default="proposed"),
            date=dict(type="str"),
            sections=dict(type="list", elements="dict", default=[], options=dict(
                title=dict(type="str", required=True),
                body=dict(type="str", default=""),
            )),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    before = ""
    if os.path.exists(path):
        with open(path, "rb") as f:
            before = to_text(f.read(), errors="surrogate_or_strict")
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    try:
        after, info = upsert(before, p["id"], p["title"], p["status"], p["sections"], date=p["date"], today=today)
    except AdrError as exc:
        module.fail_json(msg="%s: %s" % (path, exc))
    problems = validate(after)
    if problems:
        module.fail_json(msg="%s would not be a valid ADR file: %s" % (path, "; ".join(problems)))
    changed = after != before
    result = dict(changed=changed, **info)
    if module._diff:
        result["diff"] = dict(before=before, after=after, before_header=path, after_header=path)
    if changed and not module.check_mode:
        directory = os.path.dirname(path) or "."
        if not os.path.isdir(directory):
            module.fail_json(msg="%s: directory %s does not exist" % (path, directory))
        tmp = os.path.join(directory, ".%s.tmp" % os.path.basename(path))
        with open(tmp, "wb") as f:
            f.write(to_bytes(after))
        if os.path.exists(path):
            st = os.stat(path)
            os.chmod(tmp, st.st_mode & 0o7777)
        module.atomic_move(tmp, path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
