# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""External Secrets Operator objects: the stack's Kubernetes Secret filled from AWS Secrets
Manager or OCI Vault (behind the external_secrets_objects filter).

``render_external_secrets(backend, namespace, target, keys, options=None)`` returns a
``SecretStore`` and an ``ExternalSecret`` (``external-secrets.io/v1``) in ``namespace``:

- ``backend``: ``aws`` (Secrets Manager; the operator authenticates with the service account's
  IAM role, IRSA) or ``oci`` (Vault; ``Workload`` identity on OKE or ``InstancePrincipal``).
- ``target``: name of the Kubernetes Secret the operator writes (the one the stack's pods read).
- ``keys``: Secret key -> remote secret name, or -> ``{key, property}`` for one JSON property of a
  remote secret.

Only references are rendered: no secret value ever passes through here, so the objects may be
printed; the values stay in the cloud store and in the Secret the operator writes.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

BACKENDS = ("aws", "oci")
PRINCIPALS = ("Workload", "InstancePrincipal")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_VAULT = re.compile(r"^ocid1\.vault\.[a-z0-9.-]*\.[a-z0-9-]*\.[a-z0-9]+$")

DEFAULT_OPTIONS = {
    "store_name": None,
    "region": None,
    "service_account": "external-secrets",
    "vault_ocid": None,
    "principal_type": "Workload",
    "refresh_interval": "1h",
    "labels": {"app.kubernetes.io/part-of": "investment", "app.kubernetes.io/managed-by": "ansible"},
}


class ExternalSecretsError(ValueError):
    pass


def render_external_secrets(backend, namespace, target, keys, options=None):
    """SecretStore + ExternalSecret; see the module docstring."""
    if backend not in BACKENDS:
        raise ExternalSecretsError("backend %r is not one of %s" % (backend, ", ".join(BACKENDS)))
    unknown = set(options or {}) - set(DEFAULT_OPTIONS)
    if unknown:
        raise ExternalSecretsError("unknown options: %s" % ", ".join(sorted(unknown)))
    o = dict(DEFAULT_OPTIONS)
    o.update({k: v for k, v in (options or {}).items() if v not in (None, "")})
    for name, value in (("namespace", namespace), ("target", target)):
        if not isinstance(value, str) or not _NAME.match(value):
            raise ExternalSecretsError("%s %r is not a Kubernetes name" % (name, value))
    if not isinstance(keys, dict) or not keys:
        raise ExternalSecretsError("keys must map each Secret key to its remote secret")
    if not o["region"]:
        raise ExternalSecretsError("region is required (the %s region of the store)" % backend)
    store = o["store_name"] or ("aws-secrets-manager" if backend == "aws" else "oci-vault")
    if backend == "aws":
        provider = {"aws": {"service": "SecretsManager", "region": o["region"],
                            "auth": {"jwt": {"serviceAccountRef": {"name": o["service_account"]}}}}}
    else:
        if not o["vault_ocid"] or not _VAULT.match(str(o["vault_ocid"])):
            raise ExternalSecretsError("vault_ocid %r is not a vault OCID" % (o["vault_ocid"],))
        if o["principal_type"] not in PRINCIPALS:
            raise ExternalSecretsError("principal_type %r is not one of %s" % (o["principal_type"], ", ".join(PRINCIPALS)))
        provider = {"oracle": {"vault": o["vault_ocid"], "region": o["region"], "principalType": o["principal_type"]}}
        if o["principal_type"] == "Workload":
            provider["oracle"]["serviceAccountRef"] = {"name": o["service_account"]}
    data = []
    for secret_key in sorted(keys):
        if not _KEY.match(str(secret_key)):
            raise ExternalSecretsError("keys: %r is not a Secret key" % (secret_key,))
        remote = keys[secret_key]
        if isinstance(remote, dict):
            if not remote.get("key"):
                raise ExternalSecretsError("keys.%s needs key (the remote secret)" % secret_key)
            ref = {"key": str(remote["key"])}
            if remote.get("property"):
                ref["property"] = str(remote["property"])
        elif isinstance(remote, str) and remote:
            ref = {"key": remote}
        else:
            raise ExternalSecretsError("keys.%s must name the remote secret" % secret_key)
        data.append({"secretKey": str(secret_key), "remoteRef": ref})
    labels = dict(o["labels"])
    return [
        {"apiVersion": "external-secrets.io/v1", "kind": "SecretStore",
         "metadata": {"name": store, "namespace": namespace, "labels": labels},
         "spec": {"provider": provider}},
        {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
         "metadata": {"name": target, "namespace": namespace, "labels": labels},
         "spec": {"refreshInterval": o["refresh_interval"],
                  "secretStoreRef": {"name": store, "kind": "SecretStore"},
                  "target": {"name": target, "creationPolicy": "Owner"},
                  "data": data}},
    ]
