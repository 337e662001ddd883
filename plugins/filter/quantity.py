# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for memory quantities; the logic lives in module_utils/memory.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.investment.orchestration.plugins.module_utils.memory import (
    format_quantity,
    parse_quantity,
    quantity_error,
    to_mib,
)


def quantity_to_bytes(value, flavor="k8s"):
    try:
        return parse_quantity(value, flavor)
    except ValueError as exc:
        raise AnsibleFilterError("quantity_to_bytes: %s" % exc)


def quantity_to_mib(value, flavor="k8s"):
    try:
        return to_mib(value, flavor)
    except ValueError as exc:
        raise AnsibleFilterError("quantity_to_mib: %s" % exc)


def bytes_to_quantity(value, unit="Mi"):
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return format_quantity(value, unit)
    except ValueError as exc:
        raise AnsibleFilterError("bytes_to_quantity: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {
            "quantity_to_bytes": quantity_to_bytes,
            "quantity_to_mib": quantity_to_mib,
            "bytes_to_quantity": bytes_to_quantity,
            "quantity_error": quantity_error,
        }
