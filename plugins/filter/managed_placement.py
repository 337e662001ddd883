# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""managed_placement filter; the logic lives in module_utils/managed_placement.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.investment.orchestration.plugins.module_utils.managed_placement import (
    ManagedPlacementError,
    managed_place,
)


def managed_placement(options, hosts=None, prefix="fleet_plan3_"):
    try:
        return managed_place(options, hosts, prefix)
    except ManagedPlacementError as exc:
        raise AnsibleFilterError("managed_placement: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"managed_placement": managed_placement}
