#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: manifest_apply
short_description: Server-side apply a set of Kubernetes manifests, pruning with an ApplySet
version_added: 0.1.0
author: investment platform team (!UNKNOWN)
description:
  - Applies Kubernetes objects from files, directories and inline definitions with server-side
    apply (C(PATCH application/apply-patch+yaml)) under one field manager, like
    C(kubectl apply --server-side).
  - Resource types (plural name, namespaced or not) come from the API server's discovery
    documents, each read at most once per run. A CustomResourceDefinition of the set also
    defines its kind for the objects of the set, so a CRD and its custom resources can be applied
    together.
  - "Order: Namespaces, then CustomResourceDefinitions (the module waits until they are
    C(Established)), then the other objects in Helm's install order (ServiceAccounts, Secrets and
    ConfigMaps before workloads, Services before Deployments, ...); kinds unknown to that list come
    last, alphabetically; objects of one kind keep their input order."
  - With O(applyset), the objects form an ApplySet (KEP-3659) exactly as
    C(kubectl apply --prune --applyset) computes it, and members of the previous run that are no
    longer in the set are deleted (pruned).
  - Check mode sends every write, prune deletes included, as a server-side dry run
    (C(dryRun=All)), so the API server's defaulting, validation and admission decide what would
    change. An object whose Namespace or CRD this run would create cannot be dry-run; it is
    reported as created, with C(validated=false) and a warning.
  - Secret values (C(data), C(stringData) and the C(kubectl.kubernetes.io/last-applied-configuration)
    annotation of Secrets) are replaced by C(<redacted>) in everything the module returns, diffs
    included.
options:
  src:
    description:
      - Manifest files or directories on the target. A directory stands for its C(*.yaml),
        C(*.yml) and C(*.json) files, sorted by name, not recursively (as C(kubectl apply -f DIR)).
      - "A file may hold several YAML documents; a C(kind: List) (or any C(*List) with C(items))
        is replaced by its items."
    type: list
    elements: path
    default: []
  definitions:
    description:
      - "Objects given inline, each a dictionary or YAML text (several documents allowed);
        C(kind: List) is expanded. Applied after the O(src) objects of the same kind."
      - With O(applyset), an empty set (no O(src), no O(definitions)) prunes every member.
      - May contain Secrets, so the option is C(no_log) and the module's invocation shows it with
        Secret values redacted.
    type: list
    elements: raw
    default: []
  kubeconfig:
    description:
      - Path of the kubeconfig file. Default C($KUBECONFIG), else C(~/.kube/config); when
        neither exists and the module runs in a pod, the pod's service account is used.
      - The environment variable E(K8S_AUTH_KUBECONFIG) also sets it.
    type: path
  context:
    description:
      - The kubeconfig context to use (default its current context). Also set by
        E(K8S_AUTH_CONTEXT).
    type: str
  namespace:
    description:
      - Namespace of namespaced objects that do not name one, and of the ApplySet parent.
      - Default C(default).
    type: str
  field_manager:
    description: The server-side apply field manager that owns the applied fields.
    type: str
    default: investment-orchestration
  force_conflicts:
    description:
      - Take over fields that another field manager owns (C(force=true)). Without it such a
        conflict fails the object, naming the fields and their managers.
    type: bool
    default: false
  applyset:
    description:
      - Make the objects an ApplySet and prune its former members.
      - "The parent object carries the label C(applyset.kubernetes.io/id) =
        C(applyset-<base64url(sha256(<parent name>.<namespace>.<kind>.))>-v1) and the annotations
        C(applyset.kubernetes.io/tooling), C(applyset.kubernetes.io/contains-group-kinds) and
        C(applyset.kubernetes.io/additional-namespaces); every member carries
        C(applyset.kubernetes.io/part-of=<id>), so
        C(kubectl get KINDS -A -l applyset.kubernetes.io/part-of=<id>) lists the members."
      - Pruning lists, for every group kind and namespace the parent recorded before this run, the
        objects labelled as members and deletes those this run did not apply (C(propagationPolicy=Background),
        custom resources first, Namespaces last). Nothing is pruned when an object fails.
      - A parent written by another tool (another C(tooling) name) or with another id is refused.
    type: dict
    suboptions:
      name:
        description: Name of the set.
        type: str
        required: true
      parent_name:
        description:
          - Name of the parent object; default C(applyset-<name>).
          - To continue a set made by C(kubectl apply --applyset=NAME), set O(applyset.parent_name=NAME)
            and O(applyset.tooling=kubectl/<version>).
        type: str
      namespace:
        description: Namespace of the parent object; default O(namespace), else C(default).
        type: str
      kind:
        description: Kind of the parent object.
        type: str
        choices: [Secret, ConfigMap]
        default: Secret
      tooling:
        description:
          - The C(applyset.kubernetes.io/tooling) annotation, C(<tool>/<version>). Only a parent
            with the same tool name is taken over. The parent is written by the field manager
            C(<tool>-applyset), as kubectl does.
        type: str
        default: investment.orchestration/0.1.0
  wait:
    description:
      - After everything is applied (and pruned), wait until the Deployments, StatefulSets,
        DaemonSets and Jobs of the set are ready (as C(kubectl rollout status) judges them; a Job
        when C(Complete)). All are polled together.
      - The module fails when some are not ready after O(wait_timeout), or when a Job failed or a
        Deployment exceeded its progress deadline; RV(not_ready) says which and why.
      - Not done in check mode.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the workloads with O(wait), and at least 30 for CustomResourceDefinitions
        to become C(Established).
    type: int
    default: 120
  wait_sleep:
    description: Seconds between two polls.
    type: int
    default: 2
attributes:
  check_mode:
    support: full
    description: Every write, and every prune delete, is a server-side dry run.
  diff_mode:
    support: full
    description: Before and after of every changed object, Secret values redacted.
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
requirements:
  - kubernetes (the Python client) >= 24.2.0
  - PyYAML
notes:
  - Objects are never deleted except by pruning an ApplySet.
  - A kubeconfig whose cluster and user hold only an https server, its CA (or
    C(insecure-skip-tls-verify)), a token and/or a client certificate is used by the module
    itself, without importing the kubernetes client (faster start). Any other kubeconfig (exec
    plugins, auth providers, a proxy, several files to merge, ...) and the in-cluster service
    account are read and used by the kubernetes client.
  - The Namespace of the ApplySet parent must exist or be part of the set.
seealso:
  - name: ApplySet specification (KEP-3659)
    description: The labels and annotations that kubectl and this module share.
    link: https://github.com/kubernetes/enhancements/tree/master/keps/sig-cli/3659-kubectl-apply-prune
"""

EXAMPLES = r"""
- name: Apply the region's manifests and prune what was removed from them
  investment.orchestration.manifest_apply:
    src:
      - "{{ playbook_dir }}/files/k8s/region"
    namespace: investment
    applyset:
      name: region
    wait: true
    wait_timeout: 300
  register: applied

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ applied.objects | rejectattr('action', 'eq', 'unchanged') | map(attribute='name') | list }}"

- name: Inline objects, a Secret among them (its values are never shown)
  investment.orchestration.manifest_apply:
    kubeconfig: /etc/rancher/k3s/k3s.yaml
    namespace: investment
    definitions:
      - apiVersion: v1
        kind: Secret
        metadata:
          name: backend-db
        stringData:
          password: "{{ vault_backend_db_password }}"
      - "{{ lookup('ansible.builtin.template', 'backend.yml.j2') }}"

- name: Continue a set created with kubectl apply --prune --applyset=web -n investment
  investment.orchestration.manifest_apply:
    src: [/opt/investment/k8s/web]
    namespace: investment
    applyset:
      name: web
      parent_name: web
      tooling: kubectl/v1.34.4
"""

RETURN = r"""
objects:
  description:
    - One entry per object applied or pruned, in the order of the operations.
    - C(action) is C(created), C(configured), C(unchanged), C(pruned) or C(failed) (then C(error)
      names the object and gives the API server's reason and message).
    - C(object) is the object as the API server returned it (the dry-run result in check mode),
      without C(metadata.managedFields), Secret values redacted.
    - C(origin) is the file (and document number) or C(definitions[i]) it came from.
    - C(validated=false) marks an object that check mode could not dry-run (its Namespace or CRD
      would be created by the run).
    - C(diff) (diff mode) has C(before) and C(after), redacted.
  returned: always
  type: list
  elements: dict
  sample:
    - apiVersion: apps/v1
      kind: Deployment
      namespace: investment
      name: backend
      action: configured
      origin: /opt/investment/k8s/region/backend.yml (document 2)
      object: {}
summary:
  description: How many objects were C(created), C(configured), C(unchanged), C(pruned), C(failed).
  returned: always
  type: dict
  sample: {created: 0, configured: 1, unchanged: 7, pruned: 1, failed: 0}
applyset:
  description:
    - The ApplySet, with O(applyset). C(id), C(tooling), C(parent) (C(apiVersion), C(kind),
      C(namespace), C(name)), C(group_kinds) and C(additional_namespaces) as recorded on the parent,
      and C(action), what happened to the parent (C(created), C(configured), C(unchanged), or
      C(not updated) when the run stopped on an error).
  returned: when O(applyset) is set
  type: dict
  sample:
    id: applyset-RJUuy2zSnXxK_xQykfqf5eXkZLN6BWTWH0jVynAhBfw-v1
    tooling: investment.orchestration/0.1.0
    parent: {apiVersion: v1, kind: Secret, namespace: investment, name: applyset-region}
    group_kinds: [ConfigMap, Deployment.apps, Namespace]
    additional_namespaces: []
    action: unchanged
not_ready:
  description:
    - With O(wait), the workloads that are not ready, each with C(kind), C(namespace), C(name),
      C(state) (C(pending) at the timeout, or C(failed)) and C(reason) (replica counts and the
      conditions that are not true). Empty when all are ready.
  returned: when O(wait) is set and not in check mode
  type: list
  elements: dict
  sample:
    - kind: Deployment
      namespace: investment
      name: backend
      state: pending
      reason: "0 of 1 updated replicas available (Available=False MinimumReplicasUnavailable: Deployment does
        not have minimum availability.)"
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import (
    DEFAULT_FIELD_MANAGER,
    DEFAULT_TOOLING,
    HAS_KUBERNETES,
    HAS_YAML,
    KUBERNETES_IMPORT_ERROR,
    YAML_IMPORT_ERROR,
    Applier,
    ApplyError,
    connect,
    load_sources,
    redact,
    secret_values,
)
from ansible_collections.investment.orchestration.plugins.module_utils.k8s_applyset import ApplySet


def _leaves(value):
    """The strings AnsibleModule collects from a no_log option (all its scalars)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif value is not None and not isinstance(value, bool):
        text = str(value)
        if text:
            yield text


def _shown_definitions(definitions):
    """The definitions option as the module's invocation shows it: Secret values redacted."""
    shown = []
    for item in definitions or []:
        if isinstance(item, dict):
            shown.append(redact(item))
        else:
            shown.append("<YAML text, not shown>")
    return shown


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="list", elements="path", default=[]),
            definitions=dict(type="list", elements="raw", default=[], no_log=True),
            kubeconfig=dict(type="path", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
            context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
            namespace=dict(type="str"),
            field_manager=dict(type="str", default=DEFAULT_FIELD_MANAGER),
            force_conflicts=dict(type="bool", default=False),
            applyset=dict(type="dict", options=dict(
                name=dict(type="str", required=True),
                parent_name=dict(type="str"),
                namespace=dict(type="str"),
                kind=dict(type="str", choices=["Secret", "ConfigMap"], default="Secret"),
                tooling=dict(type="str", default=DEFAULT_TOOLING),
            )),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=120),
            wait_sleep=dict(type="int", default=2),
        ),
        supports_check_mode=True,
    )
    params = module.params
    # definitions is no_log so that it is never logged as a whole; what is masked in the output
    # is narrowed to the Secret values found in the objects (all scalars of the option would
    # mask every "v1", "Deployment" or name).
    module.no_log_values.difference_update(set(_leaves(params["definitions"])))
    invocation = {"module_args": dict(params, definitions=_shown_definitions(params["definitions"]))}

    def fail(msg, **kw):
        module.fail_json(msg=msg, invocation=invocation, **kw)

    if not HAS_YAML:
        fail(missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
    if not HAS_KUBERNETES:
        fail(missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    # An empty set is meaningful only for an ApplySet: every member it had is pruned.
    if not params["src"] and not params["definitions"] and not params["applyset"]:
        fail("nothing to apply: give src or definitions (an empty list only with applyset)")
    try:
        sources = load_sources(params["src"], params["definitions"])
    except ApplyError as exc:
        fail(str(exc))
    module.no_log_values.update(secret_values(obj for obj, origin in sources))
    invocation["module_args"]["definitions"] = [
        redact(obj) for obj, origin in sources if origin.startswith("definitions[")]

    applyset = None
    if params["applyset"]:
        spec = params["applyset"]
        try:
            applyset = ApplySet(spec["parent_name"] or "applyset-%s" % spec["name"],
                                spec["namespace"] or params["namespace"] or "default",
                                spec["kind"], spec["tooling"])
        except ValueError as exc:
            fail("applyset: %s" % exc)
    try:
        client = connect(params["kubeconfig"], params["context"])
        applier = Applier(client, field_manager=params["field_manager"], force_conflicts=params["force_conflicts"],
                          check_mode=module.check_mode,
                          diff=module._diff, applyset=applyset, wait=params["wait"],
                          wait_timeout=params["wait_timeout"], wait_sleep=params["wait_sleep"],
                          default_namespace=params["namespace"])
        items = applier.prepare(sources)
        result = applier.run(items)
    except ApplyError as exc:
        fail(str(exc))
    for warning in result.pop("warnings"):
        module.warn(warning)
    errors = result.pop("errors")
    if errors:
        fail("%d error%s: %s" % (len(errors), "" if len(errors) == 1 else "s", "; ".join(errors)), **result)
    if result.get("not_ready"):
        fail("not ready after %d s: %s" % (params["wait_timeout"], "; ".join(
            "%s %s%s: %s" % (e["kind"], e["namespace"] + "/" if e["namespace"] else "", e["name"],
                             e["reason"] if e["state"] == "pending" else "FAILED: " + e["reason"])
            for e in result["not_ready"])), **result)
    module.exit_json(invocation=invocation, **result)


if __name__ == "__main__":
    main()
