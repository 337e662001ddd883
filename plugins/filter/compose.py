# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Compose projects; the logic lives in module_utils/compose_project.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.investment.orchestration.plugins.module_utils.compose_project import (
    build_project,
    image_ref_error,
)


def compose_project(catalog, name, services, images, mem_limits, log_root="/LOG"):
    try:
        return build_project(catalog, name, services, images, mem_limits, log_root)
    except ValueError as exc:
        raise AnsibleFilterError("compose_project: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {
            "compose_project": compose_project,
            "image_ref_error": image_ref_error,
        }
