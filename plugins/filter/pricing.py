# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan_cost and plan3_stage_cost filters; the logic and the price table live in module_utils/pricing.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.investment.orchestration.plugins.module_utils.pricing import (
    PricingError,
    fleet_cost,
    plan3_stage_cost as _plan3_stage_cost,
)


def plan_cost(hosts, plan, **options):
    try:
        return fleet_cost(plan, hosts, options)
    except PricingError as exc:
        raise AnsibleFilterError("plan_cost: %s" % exc)


def plan3_stage_cost(provider, stage=1, **options):
    try:
        return _plan3_stage_cost(provider, stage, **options)
    except TypeError as exc:
        raise AnsibleFilterError("plan3_stage_cost: %s" % exc)
    except PricingError as exc:
        raise AnsibleFilterError("plan3_stage_cost: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"plan_cost": plan_cost, "plan3_stage_cost": plan3_stage_cost}
