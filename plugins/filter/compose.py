# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Compose projects; the logic lives in module_utils/compose_project.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.investment.orchestration.plugins.module_utils.compose_k8s import (
    ConversionError,
    convert,
)
from ansible_collections.investment.orchestration.plugins.module_utils.compose_project import (
    build_project,
    image_ref_error,
)


def compose_project(catalog, name, services, images, mem_limits, log_root="/LOG"):
    try:
        return build_project(catalog, name, services, images, mem_limits, log_root)
    except ValueError as exc:
        raise AnsibleFilterError("compose_project: %s" % exc)


def compose_to_k8s(project, namespace, files=None, secret_data=None, storage_class=None,
                   volume_size="1Gi", image_pull_policy="IfNotPresent", log_root="/LOG",
                   request_ratio=0.5, volume_root=None):
    try:
        return convert(project, namespace, files=files, secret_data=secret_data,
                       storage_class=storage_class, volume_size=volume_size,
                       image_pull_policy=image_pull_policy, log_root=log_root,
                       request_ratio=request_ratio, volume_root=volume_root or None)
    except ConversionError as exc:
        raise AnsibleFilterError("compose_to_k8s: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {
            "compose_project": compose_project,
            "compose_to_k8s": compose_to_k8s,
            "image_ref_error": image_ref_error,
        }
