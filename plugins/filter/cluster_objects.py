# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ingress_objects and external_secrets_objects filters; the logic lives in
module_utils/ingress.py and module_utils/external_secrets.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.investment.orchestration.plugins.module_utils.external_secrets import (
    ExternalSecretsError,
    render_external_secrets,
)
from ansible_collections.investment.orchestration.plugins.module_utils.ingress import (
    IngressError,
    render_ingress,
)


def ingress_objects(routes, provider, domain, **options):
    try:
        return render_ingress(provider, domain, routes, options)
    except IngressError as exc:
        raise AnsibleFilterError("ingress_objects: %s" % exc)


def external_secrets_objects(keys, backend, namespace, target, **options):
    try:
        return render_external_secrets(backend, namespace, target, keys, options)
    except ExternalSecretsError as exc:
        raise AnsibleFilterError("external_secrets_objects: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"ingress_objects": ingress_objects, "external_secrets_objects": external_secrets_objects}
