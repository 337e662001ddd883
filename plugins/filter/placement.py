# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fleet_placement filter; the logic lives in module_utils/placement.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.investment.orchestration.plugins.module_utils.placement import (
    HOST_FACTS,
    PlacementError,
    place,
)


def fleet_placement(hosts, plan, plan1_target="korea", plan2_data_on_k3s=False,
                    plan2_macro_on_k3s=False, k3s_footprint_mib=None, stack_demand_mib=None,
                    os_reserve_mib=228):
    try:
        return place(hosts, plan, plan1_target, plan2_data_on_k3s, plan2_macro_on_k3s,
                     k3s_footprint_mib, stack_demand_mib, os_reserve_mib)
    except PlacementError as exc:
        raise AnsibleFilterError("fleet_placement: %s" % exc)


def fleet_host_facts(hostvars):
    """The inventory facts placement reads, from one host's variables."""
    return {key: hostvars.get(key) for key in HOST_FACTS}


class FilterModule(object):
    def filters(self):
        return {"fleet_placement": fleet_placement, "fleet_host_facts": fleet_host_facts}
