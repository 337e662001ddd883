# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan_assessment filter; the logic lives in module_utils/advisor.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.investment.orchestration.plugins.module_utils import advisor
from ansible_collections.investment.orchestration.plugins.module_utils.memory import parse_quantity


def plan_assessment(measured, hosts, priorities, plan_options=None, footprints=None, footprint_default="kube-single-node",
                    footprint_lowmem="kube-single-node-lowmem", comfort="256Mi", cost_span=100.0, previous="",
                    entry_id="fleet-plan", memory_tolerance="32Mi", rtt_tolerance_ms=2.0, rtt_tolerance_ratio=0.5,
                    context_note=""):
    try:
        prev = advisor.previous_data(previous, entry_id)
        stable = advisor.stabilize(measured, prev, parse_quantity(memory_tolerance, "k8s", allow_milli=False),
                                   float(rtt_tolerance_ms), float(rtt_tolerance_ratio))
        result = advisor.assess(hosts, stable, priorities, plan_options,
                                {"table": footprints or {}, "default": footprint_default, "lowmem": footprint_lowmem},
                                parse_quantity(comfort, "k8s", allow_milli=False), cost_span)
        return {"assessment": result, "measured": stable, "table": advisor.table(result),
                "sections": advisor.sections(result, hosts, stable, context_note),
                "recorded": advisor.recorded(stable), "previous": prev}
    except ValueError as exc:
        raise AnsibleFilterError("plan_assessment: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"plan_assessment": plan_assessment}
