# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side apply of a set of Kubernetes manifests, behind the manifest_apply module.

Layers, each testable on its own:

* loading: YAML text / files / directories -> definitions (multi-document, ``kind: List``
  expanded), each with its origin (file and document number, or ``definitions[i]``);
* ``Discovery``: apiVersion + kind -> resource (plural, namespaced), from the API server's
  discovery documents, each group version read at most once per run; a CustomResourceDefinition
  in the set itself also maps its kind, so a CRD and its objects can be applied in one run;
* ordering: Namespaces, then CustomResourceDefinitions, then the rest by Helm's install order
  (unknown kinds last, alphabetically; input order kept among equals); pruning goes the other way;
* redaction of Secret values (``data``, ``stringData``, the last-applied annotation) in
  everything returned;
* ``decide_action``: created / configured / unchanged from the object before and the object the
  API server returned, so that check mode (server-side dry run) and a real run agree;
* ``readiness``: is a Deployment / StatefulSet / DaemonSet / Job ready, and if not, why;
* ``Applier``: the run itself over a client with a single ``request()`` method
  (``DirectClient`` speaks HTTPS itself for a kubeconfig with a CA and a token or client
  certificate, ``KubeClient`` wraps the kubernetes Python client for every other one, see
  ``connect()``; the unit tests pass a fake). Objects of one kind are applied concurrently
  (``workers`` threads), their state before read with one LIST per resource type and
  namespace; results are recorded in input order.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import http.client
import json
import os
import select
import ssl
import threading
import time
import traceback

from concurrent.futures import ThreadPoolExecutor

from urllib.parse import quote, urlencode, urlsplit

try:
    import yaml
    # libyaml's loader, when PyYAML was built with it, parses several times faster.
    _YAML_LOADER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    HAS_YAML = True
    YAML_IMPORT_ERROR = None
except ImportError:
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()

# The kubernetes client is looked up here but imported only when a kubeconfig needs it (see
# connect()): importing it costs about 0.3 s of CPU (pydantic, oauthlib, requests, ...), more than
# a no-change re-apply of 300 objects takes on the module's side.
try:
    from importlib.util import find_spec
    HAS_KUBERNETES = find_spec("kubernetes") is not None
    KUBERNETES_IMPORT_ERROR = None if HAS_KUBERNETES else "ModuleNotFoundError: No module named 'kubernetes'"
except (ImportError, ValueError):
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.investment.orchestration.plugins.module_utils.k8s_applyset import (
    members_summary,
    parent_field_manager,
    split_group_kind,
)

DEFAULT_FIELD_MANAGER = "investment-orchestration"
DEFAULT_TOOLING = "investment.orchestration/0.1.0"
REDACTED = "<redacted>"
REDACTED_OLD = "<redacted: old value>"
REDACTED_NEW = "<redacted: new value>"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
CRD_GROUP = "apiextensions.k8s.io"
CRD_KIND = "CustomResourceDefinition"
# Concurrent server-side applies (objects of one kind at a time); also the least size of the
# HTTP connection pool connect() sets up.
APPLY_WORKERS = 8
# Objects of one resource type in one namespace from which their state before the apply is read
# with one LIST (paged) instead of one GET each.
BULK_BEFORE_MIN = 4
LIST_PAGE_SIZE = 500

# Helm's install order (helm.sh/helm/v3 pkg/releaseutil/kind_sorter.go InstallOrder).
INSTALL_ORDER = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
    "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
)
# Helm's uninstall order; pruning deletes unknown kinds (custom resources) FIRST, before the
# CustomResourceDefinitions that define them and the Namespaces that hold them.
UNINSTALL_ORDER = (
    "APIService", "Ingress", "IngressClass", "Service", "CronJob", "Job", "StatefulSet",
    "HorizontalPodAutoscaler", "Deployment", "ReplicaSet", "ReplicationController", "Pod", "DaemonSet",
    "RoleBindingList", "RoleBinding", "RoleList", "Role", "ClusterRoleBindingList", "ClusterRoleBinding",
    "ClusterRoleList", "ClusterRole", "CustomResourceDefinition", "PersistentVolumeClaim", "PersistentVolume",
    "StorageClass", "ConfigMap", "SecretList", "Secret", "ServiceAccount", "PodDisruptionBudget",
    "PodSecurityPolicy", "LimitRange", "ResourceQuota", "NetworkPolicy", "Namespace", "PriorityClass",
)
WORKLOADS = (("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("batch", "Job"))


class ApplyError(Exception):
    """A failure the module reports as its message."""


class ApiError(Exception):
    """A failed API request: HTTP status, the Status reason and message, and the raw body."""

    def __init__(self, status, reason, message, body=None, details=None):
        super(ApiError, self).__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.body = body
        self.details = details or {}

    @classmethod
    def from_response(cls, status, text, http_reason=None):
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        if isinstance(data, dict) and data.get("kind") == "Status":
            return cls(status, data.get("reason") or http_reason or "", data.get("message") or "",
                       text, data.get("details"))
        body = (text or "").strip()
        if len(body) > 500:
            body = body[:500] + "..."
        return cls(status, http_reason or "", body or "(no response body)", text)

    def describe(self):
        """``Invalid (HTTP 422): ConfigMap "x" is invalid: ...``"""
        if self.status:
            return "%s (HTTP %s): %s" % (self.reason or "Error", self.status, self.message)
        return "%s: %s" % (self.reason or "Error", self.message)

    @property
    def is_not_found(self):
        return self.status == 404


# --------------------------------------------------------------------------------------------
# Loading


def _expand(doc, origin):
    """[(object, origin)] from one document: a List (``kind: List`` or any ``*List`` with
    ``items``) is replaced by its items, recursively; empty documents vanish."""
    if doc is None:
        return []
    if not isinstance(doc, dict):
        raise ApplyError("%s: a Kubernetes object must be a mapping, got %s" % (origin, type(doc).__name__))
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list) \
            and (kind == "List" or "metadata" not in doc or "name" not in (doc.get("metadata") or {})):
        out = []
        for i, item in enumerate(doc["items"]):
            out.extend(_expand(item, "%s items[%d]" % (origin, i)))
        return out
    return [(doc, origin)]


def load_text(text, origin):
    """[(object, origin)] from YAML (or JSON) text with any number of documents."""
    if not HAS_YAML:
        raise ApplyError("PyYAML is required to read YAML manifests (%s)" % origin)
    try:
        docs = list(yaml.load_all(text, Loader=_YAML_LOADER))
    except yaml.YAMLError as exc:
        raise ApplyError("%s is not valid YAML: %s" % (origin, exc))
    out = []
    for i, doc in enumerate(docs):
        where = origin if len(docs) == 1 else "%s (document %d)" % (origin, i + 1)
        out.extend(_expand(doc, where))
    return out


def manifest_files(path):
    """The files ``path`` stands for: itself, or a directory's *.yaml, *.yml, *.json, sorted
    by name and not recursively (as ``kubectl apply -f DIR``)."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith(MANIFEST_SUFFIXES)
                       and os.path.isfile(os.path.join(path, n)))
        return [os.path.join(path, n) for n in names]
    if not os.path.exists(path):
        raise ApplyError("src %s does not exist" % path)
    return [path]


def load_sources(src=None, definitions=None):
    """[(object, origin)] from ``src`` paths, then the inline ``definitions`` (dicts or YAML)."""
    out = []
    for path in src or []:
        for name in manifest_files(path):
            try:
                with open(name) as f:
                    text = f.read()
            except (IOError, OSError) as exc:
                raise ApplyError("cannot read %s: %s" % (name, exc))
            out.extend(load_text(text, name))
    for i, item in enumerate(definitions or []):
        origin = "definitions[%d]" % i
        if isinstance(item, str):
            out.extend(load_text(item, origin))
        else:
            out.extend(_expand(item, origin))
    return out


def check_definition(obj, origin):
    """Raise ApplyError naming ``origin`` unless ``obj`` has apiVersion, kind and metadata.name."""
    missing = [f for f in ("apiVersion", "kind") if not isinstance(obj.get(f), str) or not obj.get(f)]
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        missing.append("metadata")
    elif not isinstance(meta.get("name"), str) or not meta.get("name"):
        missing.append("metadata.name" + (" (generateName cannot be applied)" if meta.get("generateName") else ""))
    if missing:
        what = "%s %s" % (obj.get("kind") or "object", (meta or {}).get("name") or "") if isinstance(meta, dict) \
            else str(obj.get("kind") or "object")
        raise ApplyError("%s: %s lacks %s" % (origin, what.strip(), ", ".join(missing)))


# --------------------------------------------------------------------------------------------
# Objects


def split_api_version(api_version):
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return group, version
    return "", api_version


def describe(kind, namespace, name):
    """``Deployment demo/web``, ``Namespace demo``: how messages name an object."""
    return "%s %s/%s" % (kind, namespace, name) if namespace else "%s %s" % (kind, name)


class Resource(object):
    """What discovery says about a kind: its REST path segments and scope."""

    def __init__(self, group, version, kind, plural, namespaced):
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    def path(self, namespace=None, name=None):
        base = "/apis/%s/%s" % (self.group, self.version) if self.group else "/api/%s" % self.version
        if self.namespaced and namespace:
            base += "/namespaces/%s" % quote(namespace, safe="")
        base += "/" + self.plural
        if name:
            base += "/" + quote(name, safe="")
        return base

    def __repr__(self):
        return "Resource(%s, %s, namespaced=%s)" % (self.api_version, self.plural, self.namespaced)


class Item(object):
    """One object of the set: the body to apply, where it came from, its resource."""

    def __init__(self, body, origin, resource, index, crd_created_here=False):
        self.body = body
        self.origin = origin
        self.resource = resource
        self.index = index
        self.crd_created_here = crd_created_here

    @property
    def kind(self):
        return self.body["kind"]

    @property
    def api_version(self):
        return self.body["apiVersion"]

    @property
    def group(self):
        return split_api_version(self.api_version)[0]

    @property
    def name(self):
        return self.body["metadata"]["name"]

    @property
    def namespace(self):
        return self.body["metadata"].get("namespace") if self.resource.namespaced else None

    @property
    def key(self):
        return (self.group, self.kind, self.namespace or "", self.name)

    @property
    def ref(self):
        return describe(self.kind, self.namespace, self.name)

    def path(self):
        return self.resource.path(self.namespace, self.name)


def object_key(obj):
    group = split_api_version(obj.get("apiVersion", ""))[0]
    meta = obj.get("metadata") or {}
    return (group, obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


# --------------------------------------------------------------------------------------------
# Discovery


class Discovery(object):
    """apiVersion + kind -> Resource, from the discovery documents (/api/v1, /apis/<g>/<v>),
    each fetched at most once per run, and from CustomResourceDefinitions of the set."""

    def __init__(self, client):
        self.client = client
        self._versions = {}   # (group, version) -> {kind: Resource} or None (not served)
        self._preferred = {}  # group -> preferred version or None
        self._crds = {}       # (group, version, kind) -> Resource from a CRD of the set
        self.requests = 0

    def register_crd(self, crd):
        """Map the kinds of a CustomResourceDefinition definition (served versions only)."""
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        group, kind, plural = spec.get("group"), names.get("kind"), names.get("plural")
        if not (group and kind and plural):
            return
        for version in spec.get("versions") or []:
            if version.get("served", True) and version.get("name"):
                self._crds[(group, version["name"], kind)] = Resource(
                    group, version["name"], kind, plural, spec.get("scope", "Namespaced") == "Namespaced")

    def from_crd(self, api_version, kind):
        group, version = split_api_version(api_version)
        return self._crds.get((group, version, kind))

    def _load(self, group, version):
        key = (group, version)
        if key not in self._versions:
            path = "/apis/%s/%s" % (group, version) if group else "/api/%s" % version
            self.requests += 1
            try:
                doc = self.client.request("GET", path)
            except ApiError as exc:
                if exc.status in (404, 503):
                    self._versions[key] = None
                    return None
                raise ApplyError("discovery of %s failed: %s" % (path, exc.describe()))
            kinds = {}
            for res in doc.get("resources") or []:
                name = res.get("name") or ""
                if "/" in name or res.get("kind") in kinds:
                    continue
                kinds[res["kind"]] = Resource(group, version, res["kind"], name, bool(res.get("namespaced")))
            self._versions[key] = kinds
        return self._versions[key]

    def resolve(self, api_version, kind):
        """The Resource for ``kind`` in ``api_version``, or None when the server has no such type."""
        found = self.from_crd(api_version, kind)
        if found:
            return found
        group, version = split_api_version(api_version)
        kinds = self._load(group, version)
        return (kinds or {}).get(kind)

    def preferred(self, group, kind):
        """The Resource for a group kind at the group's preferred version (for pruning)."""
        if not group:
            return (self._load("", "v1") or {}).get(kind)
        if group not in self._preferred:
            self.requests += 1
            try:
                doc = self.client.request("GET", "/apis/%s" % group)
            except ApiError as exc:
                if exc.status != 404:
                    raise ApplyError("discovery of /apis/%s failed: %s" % (group, exc.describe()))
                doc = {}
            versions = [v.get("version") for v in doc.get("versions") or [] if v.get("version")]
            best = (doc.get("preferredVersion") or {}).get("version")
            self._preferred[group] = [best] + [v for v in versions if v != best] if best else versions
        for version in self._preferred[group]:
            found = (self._load(group, version) or {}).get(kind)
            if found:
                return found
        return None


# --------------------------------------------------------------------------------------------
# Ordering


def _rank(kind, order):
    try:
        return order.index(kind)
    except ValueError:
        return None


def install_key(item):
    """Sort key: Namespaces, CRDs, then Helm's install order, unknown kinds last (by kind)."""
    if item.group == "" and item.kind == "Namespace":
        return (0, 0, "", item.index)
    if item.group == CRD_GROUP and item.kind == CRD_KIND:
        return (1, 0, "", item.index)
    rank = _rank(item.kind, INSTALL_ORDER)
    if rank is None:
        return (3, 0, item.kind, item.index)
    return (2, rank, "", item.index)


def install_order(items):
    return sorted(items, key=install_key)


def is_first_phase(item):
    return install_key(item)[0] < 2


def controlled_by_another(meta):
    """True when an object has a controller owner: a controller made it and owns its lifecycle."""
    return any(ref.get("controller") for ref in meta.get("ownerReferences") or [])


def prune_key(entry):
    """Sort key of (group kind string, object) prune candidates: custom kinds first, then
    Helm's uninstall order (Namespaces last)."""
    kind = entry["kind"]
    rank = _rank(kind, UNINSTALL_ORDER)
    if rank is None:
        return (0, kind, 0, entry.get("namespace") or "", entry["name"])
    return (1, "", rank, entry.get("namespace") or "", entry["name"])


# --------------------------------------------------------------------------------------------
# Redaction


def is_secret(obj):
    return isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def redact(obj):
    """A copy of ``obj`` with every Secret value replaced by ``<redacted>`` (also inside Lists).
    Other objects are returned as they are."""
    if not isinstance(obj, dict):
        return obj
    if isinstance(obj.get("items"), list) and str(obj.get("kind", "")).endswith("List"):
        out = dict(obj)
        out["items"] = [redact(i) for i in obj["items"]]
        return out
    if not is_secret(obj):
        return obj
    out = copy.deepcopy(obj)
    for field in ("data", "stringData"):
        if isinstance(out.get(field), dict):
            out[field] = dict((k, REDACTED) for k in out[field])
    annotations = (out.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = REDACTED
    return out


def _secret_view(obj):
    """key -> value of a Secret's data with stringData folded in (base64, as the server does)."""
    import base64
    values = dict((obj or {}).get("data") or {})
    for k, v in ((obj or {}).get("stringData") or {}).items():
        values[k] = base64.b64encode(str(v).encode("utf-8")).decode("ascii")
    return values


def redact_pair(before, after):
    """(before, after) redacted for a diff: a Secret key whose value changed shows
    ``<redacted: old value>`` / ``<redacted: new value>``, others ``<redacted>``."""
    b, a = redact(before), redact(after)
    if not (is_secret(before) and is_secret(after)):
        return b, a
    old, new = _secret_view(before), _secret_view(after)
    for field in ("data", "stringData"):
        for obj, mark in ((b, REDACTED_OLD), (a, REDACTED_NEW)):
            for k in (obj.get(field) or {}):
                if k in old and k in new and old[k] != new[k]:
                    obj[field][k] = mark
    return b, a


def secret_values(objects, min_length=4):
    """The Secret values in ``objects`` (as written, and base64-decoded when text), for
    AnsibleModule.no_log_values. Values shorter than ``min_length`` are left out: masking them
    would mangle every message that happens to contain those characters."""
    import base64
    found = set()
    for obj in objects:
        if not is_secret(obj):
            continue
        for field in ("data", "stringData"):
            for value in (obj.get(field) or {}).values():
                if value is None:
                    continue
                value = str(value)
                found.add(value)
                if field == "data":
                    try:
                        found.add(base64.b64decode(value, validate=True).decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        pass
                else:
                    found.add(base64.b64encode(value.encode("utf-8")).decode("ascii"))
    return set(v for v in found if len(v) >= min_length)


# --------------------------------------------------------------------------------------------
# Changed or not


def without_managed_fields(obj):
    """A copy of ``obj`` without metadata.managedFields (shallow: only the top level and
    metadata are new dicts; ``obj`` itself is not changed)."""
    if obj is None:
        return None
    out = dict(obj)
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = dict((k, v) for k, v in out["metadata"].items() if k != "managedFields")
    return out


def comparable(obj, field_manager):
    """What an apply by ``field_manager`` can change: the object without status (a subresource),
    resourceVersion, and managedFields other than this manager's (without their timestamps)."""
    if obj is None:
        return None
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.setdefault("metadata", {})
    meta.pop("resourceVersion", None)
    mine = []
    for entry in meta.pop("managedFields", None) or []:
        if entry.get("manager") == field_manager:
            mine.append(dict((k, v) for k, v in entry.items() if k != "time"))
    meta["managedFields"] = mine
    return out


def _manager_entries(meta, field_manager):
    return [e for e in meta.get("managedFields") or [] if e.get("manager") == field_manager]


def decide_action(before, after, field_manager):
    """``created`` (nothing before), ``unchanged`` or ``configured``.

    An apply that changes nothing returns the object as it was (same resourceVersion); a
    server-side dry run never bumps the resourceVersion but does stamp a new managedFields time,
    so the decision compares the objects, not the versions.
    """
    if before is None:
        return "created"
    if comparable(before, field_manager) == comparable(after, field_manager):
        return "unchanged"
    return "configured"


def diff_view(obj):
    """An object as shown in a diff: no managedFields, resourceVersion, generation or status."""
    if obj is None:
        return None
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for field in ("managedFields", "resourceVersion", "generation"):
        meta.pop(field, None)
    return out


def to_yaml(obj):
    if obj is None:
        return ""
    if HAS_YAML:
        return yaml.safe_dump(obj, default_flow_style=False, sort_keys=True)
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


# --------------------------------------------------------------------------------------------
# Readiness


def _conditions(obj):
    return dict((c.get("type"), c) for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type"))


def _condition_text(cond):
    text = "%s=%s" % (cond.get("type"), cond.get("status"))
    if cond.get("reason"):
        text += " %s" % cond["reason"]
    if cond.get("message"):
        text += ": %s" % cond["message"]
    return text


def _not_true(obj, types):
    conds = _conditions(obj)
    return [_condition_text(conds[t]) for t in types if t in conds and conds[t].get("status") != "True"]


def _generation_pending(obj):
    gen = (obj.get("metadata") or {}).get("generation") or 0
    observed = (obj.get("status") or {}).get("observedGeneration") or 0
    if observed < gen:
        return "the controller has not observed generation %d yet (observed %d)" % (gen, observed)
    return None


def _with_conditions(message, obj, types):
    extra = _not_true(obj, types)
    return "%s (%s)" % (message, "; ".join(extra)) if extra else message


def readiness(obj):
    """(``ready`` | ``pending`` | ``failed``, why) for a Deployment, StatefulSet, DaemonSet or Job,
    the way ``kubectl rollout status`` / ``kubectl wait --for=condition=Complete`` judge them."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    if kind == "Job":
        conds = _conditions(obj)
        for t in ("Failed", "FailureTarget"):
            if conds.get(t, {}).get("status") == "True":
                return "failed", "job failed: %s" % _condition_text(conds[t])
        if conds.get("Complete", {}).get("status") == "True":
            return "ready", "complete"
        if spec.get("suspend"):
            return "pending", "the job is suspended"
        completions = spec.get("completions")
        return "pending", "%d succeeded of %s completions, %d active, %d failed" % (
            status.get("succeeded") or 0, completions if completions is not None else 1,
            status.get("active") or 0, status.get("failed") or 0)
    waiting = _generation_pending(obj)
    if waiting:
        return "pending", waiting
    if kind == "Deployment":
        conds = _conditions(obj)
        progressing = conds.get("Progressing") or {}
        if progressing.get("reason") == "ProgressDeadlineExceeded":
            return "failed", "progress deadline exceeded: %s" % progressing.get("message", "")
        replicas = spec.get("replicas", 1)
        updated = status.get("updatedReplicas") or 0
        total = status.get("replicas") or 0
        available = status.get("availableReplicas") or 0
        if updated < replicas:
            msg = "%d of %d replicas updated" % (updated, replicas)
        elif total > updated:
            msg = "%d old replicas are pending termination" % (total - updated)
        elif available < updated:
            msg = "%d of %d updated replicas available" % (available, updated)
        else:
            return "ready", "%d of %d replicas available" % (available, replicas)
        return "pending", _with_conditions(msg, obj, ("Available", "Progressing", "ReplicaFailure"))
    if kind == "StatefulSet":
        replicas = spec.get("replicas", 1)
        ready = status.get("readyReplicas") or 0
        if ready < replicas:
            return "pending", "%d of %d replicas ready" % (ready, replicas)
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return "ready", "%d of %d replicas ready" % (ready, replicas)
        partition = (strategy.get("rollingUpdate") or {}).get("partition") or 0
        if partition:
            updated = status.get("updatedReplicas") or 0
            if updated < replicas - partition:
                return "pending", "%d of %d replicas updated (partition %d)" % (updated, replicas - partition, partition)
            return "ready", "partitioned roll out complete"
        if status.get("updateRevision") != status.get("currentRevision"):
            return "pending", "revision %s not rolled out yet (%d of %d replicas updated)" % (
                status.get("updateRevision"), status.get("updatedReplicas") or 0, replicas)
        return "ready", "%d of %d replicas ready" % (ready, replicas)
    if kind == "DaemonSet":
        desired = status.get("desiredNumberScheduled") or 0
        updated = status.get("updatedNumberScheduled") or 0
        available = status.get("numberAvailable") or 0
        strategy = (spec.get("updateStrategy") or {}).get("type")
        if strategy != "OnDelete" and updated < desired:
            return "pending", "%d of %d scheduled pods updated" % (updated, desired)
        if available < desired:
            return "pending", "%d of %d scheduled pods available" % (available, desired)
        return "ready", "%d of %d scheduled pods available" % (available, desired)
    return "ready", "not a workload"


def is_workload(item):
    return (item.group, item.kind) in WORKLOADS


# --------------------------------------------------------------------------------------------
# The API client


class _NoDiscovery(object):
    """DynamicClient discovers lazily into a cache file; this run does its own discovery."""

    def __init__(self, client, cache_file=None):
        self.client = client


def _warning_texts(headers):
    """The texts of the ``Warning`` headers (RFC 7234 ``299 - "text"``) of a response."""
    if not headers:
        return []
    if hasattr(headers, "getlist"):  # urllib3
        values = headers.getlist("Warning")
    elif hasattr(headers, "get_all"):  # http.client
        values = headers.get_all("Warning") or []
    else:
        values = [headers.get("Warning")]
    out = []
    for value in values:
        if not value:
            continue
        text = value.split(" ", 2)[-1].strip() if value[:4] == "299 " else value
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out.append(text)
    return out


class _WarningsCollector(object):
    """``warnings``: the API server's warnings (``Warning`` headers), each once."""

    _lock = threading.Lock()  # guards warnings

    def _collect_warnings(self, headers):
        for text in _warning_texts(headers):
            with self._lock:
                if text not in self.warnings:
                    self.warnings.append(text)


class KubeClient(_WarningsCollector):
    """``request(method, path, query, body, content_type)`` -> decoded JSON, or ApiError.

    Goes through the kubernetes client's DynamicClient.request(), which authenticates (tokens,
    client certificates, exec plugins) the same in the kubernetes client's old and new
    generated transports. API server warnings (``Warning`` headers) are collected in
    ``warnings``. Safe to call from several threads.
    """

    def __init__(self, api_client, timeout=(10, 60)):
        from kubernetes.dynamic import DynamicClient
        self.api_client = api_client
        self.dynamic = DynamicClient(api_client, discoverer=_NoDiscovery)
        self.timeout = timeout
        self.warnings = []

    def request(self, method, path, query=None, body=None, content_type=None):
        params = {"query_params": list(query or []), "header_params": {"Accept": "application/json"},
                  "_request_timeout": self.timeout, "serialize": False}
        if content_type:
            params["content_type"] = content_type
        try:
            resp = self.dynamic.request(method.lower(), path, body=body, **params)
        except Exception as exc:  # pylint: disable=broad-except
            status = getattr(exc, "status", None)
            if status is None:
                raise ApiError(0, type(exc).__name__, "cannot reach the API server at %s: %s"
                               % (self.api_client.configuration.host, exc))
            text = getattr(exc, "body", None)
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            self._collect_warnings(getattr(exc, "headers", None))
            raise ApiError.from_response(status, text, getattr(exc, "reason", None))
        self._collect_warnings(getattr(resp, "headers", None))
        data = resp.data
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        return _json_body(data, getattr(resp, "status", 200), method, path,
                          lambda: self.api_client.configuration.host)


def _json_body(text, status, method, path, host):
    """The decoded JSON of a successful response; an ApiError naming the request and the server
    (``host()``) when the body is not JSON (something other than an API server answered, a
    proxy's page for example)."""
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        body = text.strip()
        raise ApiError(status, "InvalidResponse", "%s %s at %s: the answer is not JSON: %s" % (
            method.upper(), path, host(), body[:200] + ("..." if len(body) > 200 else "")))


# Methods urllib3 (the kubernetes client's transport) resends after a connection error.
_IDEMPOTENT = frozenset(("DELETE", "GET", "HEAD", "OPTIONS", "PUT", "TRACE"))
# A server-side apply PATCH is idempotent too (the same configuration under the same field
# manager gives the same object), so DirectClient resends it as well; other PATCHes it does not.
APPLY_PATCH_TYPE = "application/apply-patch+yaml"
# A request the API server throttles (429 with Retry-After) is sent again up to this many times,
# after the wait it asks for (at most THROTTLE_MAX_WAIT seconds each), as client-go does.
THROTTLE_RETRIES = 10
THROTTLE_MAX_WAIT = 10
# What DirectClient handles itself; a kubeconfig with anything else goes through the kubernetes client.
_DIRECT_CLUSTER_KEYS = frozenset(("server", "certificate-authority", "certificate-authority-data",
                                  "insecure-skip-tls-verify", "extensions"))
_DIRECT_USER_KEYS = frozenset(("token", "client-certificate", "client-certificate-data", "client-key",
                               "client-key-data", "extensions"))


class DirectClient(_WarningsCollector):
    """KubeClient's ``request()`` straight over ``http.client`` and ``ssl``, for the kubeconfigs
    that need nothing more: an https server, its CA (file or data) or insecure-skip-tls-verify,
    and a bearer token and/or a client certificate (what kubeadm, k3s, kind and service-account
    kubeconfigs hold). Requests, headers, timeouts and errors are those of KubeClient; up to
    ``pool_size`` connections are kept alive and shared by the threads. ``connect()`` decides
    which client a kubeconfig gets (see ``direct_settings``).
    """

    def __init__(self, server, ssl_context, token=None, timeout=(10, 60), pool_size=APPLY_WORKERS):
        parts = urlsplit(server)
        self.host = server  # as the kubernetes client's configuration.host, for messages
        self._hostname, self._port = parts.hostname, parts.port or 443
        self._base = parts.path.rstrip("/")
        self._ssl_context = ssl_context
        self._headers = {"Accept": "application/json", "User-Agent": "investment.orchestration/manifest_apply"}
        if token:
            self._headers["Authorization"] = "Bearer %s" % token
        self.timeout = timeout
        self.pool_size = pool_size
        self.sleep = time.sleep
        self._idle = []
        self._pool_lock = threading.Lock()
        self.warnings = []

    # -- connections
    def _new_connection(self):
        conn = http.client.HTTPSConnection(self._hostname, self._port, timeout=self.timeout[0],
                                           context=self._ssl_context)
        conn.connect()
        conn.sock.settimeout(self.timeout[1])
        return conn

    def _take(self):
        """An idle connection that the server has not closed meanwhile, or None."""
        while True:
            with self._pool_lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            # readable while idle: closed by the server (or garbage); urllib3 checks the same
            if conn.sock is not None and not _readable(conn.sock):
                return conn
            conn.close()

    def _give_back(self, conn):
        with self._pool_lock:
            if len(self._idle) < self.pool_size:
                self._idle.append(conn)
                return
        conn.close()

    def close(self):
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # -- requests
    def _send(self, method, url, data, headers):
        """(status, reason, headers, body bytes); failures raise OSError or http.client.HTTPException.
        As urllib3 (the kubernetes client's transport) does: a connection that cannot be made is
        tried up to three times more, a request that fails once sent is resent (on a new
        connection) only when it is idempotent: its method, or a server-side apply PATCH."""
        resend = method in _IDEMPOTENT or headers.get("Content-Type") == APPLY_PATCH_TYPE
        conn = self._take()
        attempts = 0
        while True:
            if conn is None:
                try:
                    conn = self._new_connection()
                except (OSError, http.client.HTTPException):
                    attempts += 1
                    if attempts > 3:
                        raise
                    continue
            try:
                conn.request(method, url, body=data, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
                attempts += 1
                if attempts > 3 or not resend:
                    raise
                continue
            if resp.will_close:
                conn.close()
            else:
                self._give_back(conn)
            return resp.status, resp.reason, resp.headers, body

    def request(self, method, path, query=None, body=None, content_type=None):
        url = self._base + path
        if query:
            url += "?" + urlencode(list(query), quote_via=quote)
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
            headers["Content-Type"] = content_type or "application/json"
        waits = 0
        while True:
            try:
                status, reason, resp_headers, raw = self._send(method.upper(), url, data, headers)
            except (OSError, http.client.HTTPException) as exc:
                raise ApiError(0, type(exc).__name__, "cannot reach the API server at %s: %s" % (self.host, exc))
            delay = _retry_after(status, resp_headers)
            if delay is None or waits >= THROTTLE_RETRIES:
                break
            # 429 from API Priority and Fairness: the request was not served; client-go (kubectl)
            # waits as the server asks and sends it again
            waits += 1
            self.sleep(delay)
        self._collect_warnings(resp_headers)
        text = raw.decode("utf-8", "replace") if raw else ""
        if not 200 <= status <= 299:
            raise ApiError.from_response(status, text, reason)
        return _json_body(text, status, method, path, lambda: self.host)


def _retry_after(status, headers):
    """Seconds to wait before sending a throttled request again: a 429 answer with a
    ``Retry-After`` in seconds (capped at THROTTLE_MAX_WAIT); None for any other answer."""
    if status != 429 or headers is None:
        return None
    try:
        seconds = int(headers.get("Retry-After") or "")
    except ValueError:
        return None
    return min(max(seconds, 0), THROTTLE_MAX_WAIT)


def _readable(sock):
    """True when ``sock`` has something to read (or EOF) right now."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


def _named(entries, name):
    """The one entry of a kubeconfig list (clusters, contexts, users) called ``name``, else None."""
    if not isinstance(entries, list) or not isinstance(name, str):
        return None
    found = [e for e in entries if isinstance(e, dict) and e.get("name") == name]
    return found[0] if len(found) == 1 else None


def direct_settings(kubeconfig=None, context=None):
    """What DirectClient needs from a kubeconfig, or None when the kubeconfig is left to the
    kubernetes client (which then reads it, with its own errors): several files to merge, a proxy
    in the environment, an exec plugin or auth provider, user name and password, a token file, a
    TLS server name, a proxy URL, a plain http server, a missing or ambiguous entry, an empty
    value, a token that is not one header word.

    Returns {"server", "token", "insecure", "ca_file", "ca_data", "cert_file", "cert_data",
    "key_file", "key_data"}, read as the kubernetes client reads them: ``*-data`` before the file,
    base64-decoded (bytes); files relative to the kubeconfig's directory."""
    import base64
    path = kubeconfig or os.environ.get("KUBECONFIG", "~/.kube/config")
    if not path or os.pathsep in path:
        return None
    # as urllib.request.getproxies_environment() reads them (the kubernetes client does)
    if any(value and name.lower() in ("https_proxy", "all_proxy") for name, value in os.environ.items()):
        return None
    path = os.path.expanduser(path)
    try:
        with open(path) as f:
            config = yaml.load(f, Loader=_YAML_LOADER)
    except (IOError, OSError, yaml.YAMLError):
        return None
    if not isinstance(config, dict):
        return None
    ctx = _named(config.get("contexts"), context or config.get("current-context"))
    ctx = ctx.get("context") if ctx else None
    if not isinstance(ctx, dict):
        return None
    cluster = _named(config.get("clusters"), ctx.get("cluster"))
    cluster = cluster.get("cluster") if cluster else None
    user = {}
    if ctx.get("user"):
        user = _named(config.get("users"), ctx["user"])
        user = user.get("user") if user else None
    if not isinstance(cluster, dict) or not isinstance(user, dict) \
            or set(cluster) - _DIRECT_CLUSTER_KEYS or set(user) - _DIRECT_USER_KEYS:
        return None
    for key, value in list(cluster.items()) + list(user.items()):
        if key == "insecure-skip-tls-verify":
            if not isinstance(value, bool):
                return None
        elif key != "extensions" and (not isinstance(value, str) or not value):
            return None
    server, token = cluster.get("server") or "", user.get("token")
    if not server.startswith("https://") or token is not None and any(ord(c) < 33 or ord(c) == 127 for c in token):
        return None
    base = os.path.dirname(os.path.abspath(path))
    out = {"server": server.rstrip("/"), "token": token, "insecure": cluster.get("insecure-skip-tls-verify", False)}
    for key, section, name in (("ca", cluster, "certificate-authority"), ("cert", user, "client-certificate"),
                               ("key", user, "client-key")):
        out[key + "_data"] = out[key + "_file"] = None
        if name + "-data" in section:
            try:
                out[key + "_data"] = base64.standard_b64decode(section[name + "-data"])
            except ValueError:
                return None
        elif name in section:
            out[key + "_file"] = os.path.normpath(os.path.join(base, section[name]))
    if (out["cert_data"] is None and out["cert_file"] is None) != (out["key_data"] is None and out["key_file"] is None):
        return None  # a certificate without its key, or the other way round
    return out


def direct_client(settings, timeout=(10, 60)):
    """A DirectClient for direct_settings(); raises (ssl.SSLError, OSError, ValueError) when the
    TLS material cannot be loaded."""
    import shutil
    import tempfile
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings["insecure"]:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif settings["ca_data"] is not None:
        context.load_verify_locations(cadata=settings["ca_data"].decode("ascii"))
    elif settings["ca_file"]:
        context.load_verify_locations(cafile=settings["ca_file"])
    else:
        context.load_default_certs()
    cert, key = settings["cert_file"], settings["key_file"]
    if settings["cert_data"] is not None or settings["key_data"] is not None:
        # ssl reads a client certificate and key from files only: written in a private directory,
        # removed once loaded (the kubernetes client leaves its copies until the process exits)
        tmp = tempfile.mkdtemp(prefix="manifest-apply.")
        try:
            for name, data in (("cert", settings["cert_data"]), ("key", settings["key_data"])):
                if data is not None:
                    fd = os.open(os.path.join(tmp, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as f:
                        f.write(data)
            cert = os.path.join(tmp, "cert") if settings["cert_data"] is not None else cert
            key = os.path.join(tmp, "key") if settings["key_data"] is not None else key
            context.load_cert_chain(cert, key, password=lambda: b"")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    elif cert:
        context.load_cert_chain(cert, key, password=lambda: b"")
    return DirectClient(settings["server"], context, token=settings["token"], timeout=timeout)


def connect(kubeconfig=None, context=None):
    """A client from a kubeconfig file (``kubeconfig``, else $KUBECONFIG or ~/.kube/config) and
    ``context``, or from the in-cluster service account when neither is given and the process
    runs in a pod without a kubeconfig.

    A kubeconfig that direct_settings() accepts gets a DirectClient (the kubernetes package is
    not imported); everything else, and a kubeconfig whose TLS material ssl refuses, is read by
    the kubernetes client and gets a KubeClient, as before."""
    default_file = os.path.expanduser(os.environ.get("KUBECONFIG", "~/.kube/config").split(os.pathsep)[0])
    in_cluster = (not kubeconfig and not context and os.environ.get("KUBERNETES_SERVICE_HOST")
                  and not os.path.exists(default_file))
    if not in_cluster and HAS_YAML:
        settings = direct_settings(kubeconfig, context)
        if settings is not None:
            try:
                return direct_client(settings)
            except (OSError, ValueError):  # ssl.SSLError is an OSError
                pass  # the kubernetes client reads it (and names what is wrong)
    try:
        from kubernetes import client as k8s_client
        from kubernetes import config as k8s_config
    except ImportError as exc:
        raise ApplyError("cannot import the kubernetes Python client: %s" % exc)
    configuration = k8s_client.Configuration()
    try:
        if in_cluster:
            k8s_config.load_incluster_config(client_configuration=configuration)
        else:
            k8s_config.load_kube_config(config_file=kubeconfig, context=context,
                                        client_configuration=configuration, persist_config=False)
    except Exception as exc:  # pylint: disable=broad-except
        source = "the in-cluster service account" if in_cluster else "kubeconfig %s%s" % (
            kubeconfig or default_file, " context %s" % context if context else "")
        raise ApplyError("cannot load the API server configuration from %s: %s" % (source, exc))
    # one connection per concurrent apply (Applier's workers), kept alive between requests
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, APPLY_WORKERS)
    return KubeClient(k8s_client.ApiClient(configuration))


# --------------------------------------------------------------------------------------------
# The run


class Applier(object):
    """Applies a set of objects: ApplySet parent, Namespaces, CRDs (until Established), the rest,
    prune, parent again, then (optionally) waits for the workloads.

    ``client`` has ``request(method, path, query=None, body=None, content_type=None)``.
    """

    APPLY_TYPE = APPLY_PATCH_TYPE

    def __init__(self, client, field_manager=DEFAULT_FIELD_MANAGER, force_conflicts=False,
                 check_mode=False, diff=False, applyset=None,
                 wait=False, wait_timeout=120, wait_sleep=2, default_namespace=None,
                 sleep=time.sleep, clock=time.monotonic, workers=APPLY_WORKERS):
        self.client = client
        self.workers = max(1, int(workers or 1))
        self.discovery = Discovery(client)
        self.field_manager = field_manager
        self.force_conflicts = force_conflicts
        self.check_mode = check_mode
        self.diff = diff
        self.applyset = applyset
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.wait_sleep = wait_sleep
        self.default_namespace = default_namespace or "default"
        self.sleep = sleep
        self.clock = clock
        self.warnings = []
        self.errors = []
        self.entries = []
        self.diffs = []
        self.pending_namespaces = set()   # check mode: namespaces that would be created
        self.pending_crds = set()         # check mode: (group, kind) of CRDs that would be created
        self.visited_uids = set()
        self.visited_keys = set()

    # -- preparing
    def prepare(self, sources):
        """Items from [(object, origin)]: validated, resources resolved, namespaces defaulted,
        ApplySet label added; raises ApplyError naming every bad definition."""
        problems = []
        bodies = []
        for index, (obj, origin) in enumerate(sources):
            try:
                check_definition(obj, origin)
            except ApplyError as exc:
                problems.append(str(exc))
                continue
            bodies.append((copy.deepcopy(obj), origin, index))
            group = split_api_version(obj["apiVersion"])[0]
            if group == CRD_GROUP and obj["kind"] == CRD_KIND:
                self.discovery.register_crd(obj)
        items, seen = [], {}
        for body, origin, index in bodies:
            where = "%s: %s" % (origin, describe(body["kind"], body["metadata"].get("namespace"), body["metadata"]["name"]))
            resource = self.discovery.resolve(body["apiVersion"], body["kind"])
            if resource is None:
                problems.append("%s: the API server has no resource type for kind %s in apiVersion %s "
                                "(and no CustomResourceDefinition of this set defines it)"
                                % (where, body["kind"], body["apiVersion"]))
                continue
            meta = body["metadata"]
            if resource.namespaced:
                meta["namespace"] = meta.get("namespace") or self.default_namespace
            elif meta.get("namespace"):
                self.warnings.append("%s: %s is cluster-scoped, its metadata.namespace %r is ignored"
                                     % (origin, body["kind"], meta["namespace"]))
                del meta["namespace"]
            item = Item(body, origin, resource, index,
                        crd_created_here=self.discovery.from_crd(body["apiVersion"], body["kind"]) is not None)
            if item.key in seen:
                problems.append("%s is defined twice: in %s and in %s" % (item.ref, seen[item.key], origin))
                continue
            seen[item.key] = origin
            if self.applyset:
                if (item.group, item.kind, item.namespace, item.name) == (
                        "", self.applyset.kind, self.applyset.namespace, self.applyset.name):
                    problems.append("%s: %s is the ApplySet parent and cannot be a member" % (origin, item.ref))
                    continue
                try:
                    self.applyset.label_member(body)
                except ValueError as exc:
                    problems.append("%s: %s" % (where, exc))
                    continue
            items.append(item)
        if problems:
            raise ApplyError("; ".join(problems))
        return items

    # -- requests
    def _write_query(self, force=None):
        # Strict as kubectl; server-side apply refuses fields unknown to the schema in any case.
        query = [("fieldManager", self.field_manager), ("fieldValidation", "Strict")]
        if force if force is not None else self.force_conflicts:
            query.append(("force", "true"))
        if self.check_mode:
            query.append(("dryRun", "All"))
        return query

    def _get(self, path):
        try:
            return self.client.request("GET", path)
        except ApiError as exc:
            if exc.is_not_found:
                return None
            raise

    def _apply(self, path, body, field_manager=None, force=None):
        query = self._write_query(force)
        if field_manager:
            query[0] = ("fieldManager", field_manager)
        return self.client.request("PATCH", path, query=query, body=json.dumps(body), content_type=self.APPLY_TYPE)

    # -- entries
    def _entry(self, api_version, kind, namespace, name, action, obj, origin=None, before=None):
        entry = {"apiVersion": api_version, "kind": kind, "namespace": namespace, "name": name,
                 "action": action, "object": redact(without_managed_fields(obj))}
        if origin:
            entry["origin"] = origin
        self.entries.append(entry)
        if self.diff and action != "unchanged":
            b, a = redact_pair(diff_view(before), diff_view(obj) if action != "pruned" else None)
            label = "%s (%s)" % (describe(kind, namespace, name), action)
            self.diffs.append({"before_header": label, "after_header": label,
                               "before": to_yaml(b), "after": to_yaml(a)})
        return entry

    def _fail(self, what, verb, exc, entry_args=None):
        text = exc.describe() if isinstance(exc, ApiError) else str(exc)
        if isinstance(exc, ApiError) and exc.status == 409 and verb == "apply" and not self.force_conflicts:
            text += " (set force_conflicts=true to take these fields over from their managers)"
        message = "%s: %s failed: %s" % (what, verb, text)
        self.errors.append(message)
        if entry_args:
            entry = dict(entry_args, action="failed", error=message)
            self.entries.append(entry)
        return message

    def _unvalidated(self, item):
        """Check mode only: the object's Namespace or CRD would be created by this run, so the
        API server cannot dry-run it; it is reported as created from its definition."""
        if not self.check_mode:
            return None
        if item.namespace and item.namespace in self.pending_namespaces:
            return "its namespace %s would be created by this run" % item.namespace
        if (item.group, item.kind) in self.pending_crds:
            return "its CustomResourceDefinition would be created by this run"
        return None

    def apply_item(self, item):
        """Apply one object; returns its entry (None when it failed)."""
        return self.apply_items([item])[0]

    def apply_items(self, items):
        """Apply ``items`` (in install order); returns their entries (None: failed), in order.

        Objects of one kind (one install rank) are independent of each other: each such batch
        has its objects' state before read in bulk (see before_states) and its PATCHes sent by
        up to ``workers`` threads; entries, errors and warnings are recorded in input order
        after the batch. Batches run one after the other, so the install order between kinds
        holds.
        """
        out = []
        start = 0
        while start < len(items):
            end = start + 1
            rank = install_key(items[start])[:3]
            while end < len(items) and install_key(items[end])[:3] == rank:
                end += 1
            out.extend(self._apply_batch(items[start:end]))
            start = end
        return out

    def _apply_batch(self, batch):
        skipped = [self._unvalidated(item) for item in batch]
        todo = [item for item, why in zip(batch, skipped) if not why]
        befores = self.before_states(todo)

        def work(item):
            try:
                path = item.path()
                before = befores[path] if path in befores else self._get(path)
                return before, self._apply_retrying(item), None
            except ApiError as exc:
                return None, None, exc

        results = iter(self._parallel(work, todo))
        entries = []
        for item, why in zip(batch, skipped):
            if why:
                entries.append(self._unvalidated_entry(item, why))
            else:
                entries.append(self._applied(item, *next(results)))
        return entries

    def _parallel(self, fn, args):
        """[fn(a) for a in args], run by up to ``workers`` threads; ``fn`` must not raise."""
        workers = min(self.workers, len(args))
        if workers < 2:
            return [fn(a) for a in args]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(fn, args))

    def before_states(self, items):
        """path -> the object before the apply (None: absent) for the items that share their
        resource type and namespace with at least BULK_BEFORE_MIN - 1 others: one LIST (paged)
        per such group instead of one GET per object, the LISTs of several namespaces sent
        concurrently. Paths not in the map (smaller groups, or a LIST the server refused) are
        read with GET."""
        groups = {}
        for item in items:
            groups.setdefault(item.resource.path(item.namespace), []).append(item)
        bulk = [(collection, members) for collection, members in groups.items() if len(members) >= BULK_BEFORE_MIN]

        def read(group):
            try:
                return self._list(group[0], group[1][0].resource)
            except ApiError:
                return None  # e.g. no list permission: GET each

        found = {}
        for (collection, members), listed in zip(bulk, self._parallel(read, bulk)):
            if listed is None:
                continue
            for item in members:
                path = item.path()
                found[path] = listed.get(path)
        return found

    def _list(self, collection, resource):
        """path -> object of everything in ``collection`` (a resource type, in a namespace)."""
        out = {}
        token = None
        while True:
            query = [("limit", str(LIST_PAGE_SIZE))]
            if token:
                query.append(("continue", token))
            page = self.client.request("GET", collection, query=query)
            for obj in page.get("items") or []:
                meta = obj.get("metadata") or {}
                if not meta.get("name"):
                    continue
                # list items carry no apiVersion / kind; the single GET's object does
                obj.setdefault("apiVersion", resource.api_version)
                obj.setdefault("kind", resource.kind)
                out[resource.path(meta.get("namespace"), meta["name"])] = obj
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return out

    def _unvalidated_entry(self, item, why):
        entry = self._entry(item.api_version, item.kind, item.namespace, item.name, "created",
                            item.body, item.origin)
        entry["validated"] = False
        self.warnings.append("check mode: %s not validated by the API server: %s" % (item.ref, why))
        self.visited_keys.add(item.key)
        self._note_pending(item, "created")
        return entry

    def _applied(self, item, before, after, exc):
        if exc is not None:
            ident = {"apiVersion": item.api_version, "kind": item.kind, "namespace": item.namespace,
                     "name": item.name, "origin": item.origin}
            self._fail(item.ref, "apply", exc, ident)
            return None
        action = self._decide(before, after, self.field_manager)
        self.visited_keys.add(item.key)
        uid = (after.get("metadata") or {}).get("uid")
        if uid:
            self.visited_uids.add(uid)
        self._note_pending(item, action)
        return self._entry(item.api_version, item.kind, item.namespace, item.name, action, after,
                           item.origin, before)

    def _decide(self, before, after, field_manager):
        """decide_action, knowing what a real (not dry-run) apply does: one that changes nothing
        writes nothing, so the resourceVersion stays; one that changes something stamps this
        manager's managedFields entry with the time. So outside check mode, the same
        resourceVersion is ``unchanged`` without comparing; and when the objects differ but this
        manager's entry is the same as before (time included), somebody else (a controller)
        changed the object between reading ``before`` (in bulk, before the batch) and the apply:
        ``unchanged`` too. A dry run stamps a new time and keeps the resourceVersion in any case."""
        if before is None or self.check_mode:
            return decide_action(before, after, field_manager)
        b_meta, a_meta = before.get("metadata") or {}, (after or {}).get("metadata") or {}
        if b_meta.get("resourceVersion") and b_meta.get("resourceVersion") == a_meta.get("resourceVersion"):
            return "unchanged"
        action = decide_action(before, after, field_manager)
        if action == "configured":
            mine_before = _manager_entries(b_meta, field_manager)
            if mine_before and all(e.get("time") for e in mine_before) \
                    and mine_before == _manager_entries(a_meta, field_manager):
                return "unchanged"
        return action

    def _apply_retrying(self, item):
        """PATCH; a custom resource whose CRD was just created may 404 for a moment."""
        deadline = self.clock() + (10 if item.crd_created_here and not self.check_mode else 0)
        while True:
            try:
                return self._apply(item.path(), item.body)
            except ApiError as exc:
                if not (exc.is_not_found and not exc.details.get("name")) or self.clock() >= deadline:
                    raise
            self.sleep(0.5)

    def _note_pending(self, item, action):
        if not self.check_mode or action != "created":
            return
        if item.group == "" and item.kind == "Namespace":
            self.pending_namespaces.add(item.name)
        elif item.group == CRD_GROUP and item.kind == CRD_KIND:
            spec = item.body.get("spec") or {}
            self.pending_crds.add((spec.get("group"), (spec.get("names") or {}).get("kind")))

    # -- CRDs
    def wait_established(self, crds):
        """Wait until every CRD of ``crds`` (items) is Established; errors name the CRD."""
        pending = dict((item.name, item) for item in crds)
        deadline = self.clock() + max(self.wait_timeout, 30)
        last = {}
        while pending:
            for name in list(pending):
                try:
                    obj = self._get(pending[name].path())
                except ApiError as exc:
                    self._fail(pending.pop(name).ref, "wait for Established", exc)
                    continue
                conds = _conditions(obj or {})
                if conds.get("Established", {}).get("status") == "True":
                    del pending[name]
                    continue
                names = conds.get("NamesAccepted")
                if names and names.get("status") == "False":
                    self._fail(pending.pop(name).ref, "wait for Established", ApplyError(_condition_text(names)))
                    continue
                last[name] = "; ".join(_condition_text(c) for c in conds.values()) or "no conditions yet"
            if not pending:
                break
            if self.clock() >= deadline:
                for name, item in pending.items():
                    self._fail(item.ref, "wait for Established", ApplyError(
                        "not Established after %d s (%s)" % (max(self.wait_timeout, 30), last.get(name))))
                break
            self.sleep(0.5)

    # -- ApplySet parent
    def _parent_path(self):
        return Resource("", "v1", self.applyset.kind, self.applyset.kind.lower() + "s", True).path(
            self.applyset.namespace, self.applyset.name)

    def update_parent(self, group_kinds, namespaces):
        """Server-side apply of the parent's labels/annotations; a conflict is retried with force,
        as kubectl does. Returns the parent as the server returned it (None: not validated)."""
        aset = self.applyset
        if self.check_mode and aset.namespace in self.pending_namespaces:
            return None
        body = aset.parent_patch(group_kinds, namespaces)
        manager = parent_field_manager(aset.tooling)
        try:
            return self._apply(self._parent_path(), body, manager, force=False)
        except ApiError as exc:
            if exc.status != 409:
                raise
            return self._apply(self._parent_path(), body, manager, force=True)

    # -- prune
    def find_prunable(self, group_kinds, namespaces):
        """The live members of the previous set that this run did not apply."""
        found = []
        for gk in group_kinds:
            group, kind = split_group_kind(gk)
            resource = self.discovery.preferred(group, kind)
            if resource is None:
                self.warnings.append("ApplySet %s lists %s, which the API server does not serve (any more): "
                                     "nothing of it to prune" % (self.applyset.id, gk))
                continue
            scopes = namespaces if resource.namespaced else [None]
            for ns in scopes:
                try:
                    listing = self.client.request("GET", resource.path(ns), query=[("labelSelector", self.applyset.selector())])
                except ApiError as exc:
                    self._fail("%s in %s" % (gk, ns or "the cluster"), "list for pruning", exc)
                    continue
                for obj in listing.get("items") or []:
                    meta = obj.get("metadata") or {}
                    key = (group, kind, meta.get("namespace") or "", meta.get("name"))
                    if meta.get("uid") in self.visited_uids or key in self.visited_keys:
                        continue
                    if meta.get("deletionTimestamp"):
                        continue  # already going away
                    if controlled_by_another(meta):
                        # Made by a controller that copied the label from its owner (the
                        # EndpointSlices of a labelled Service): never applied, so never pruned.
                        continue
                    obj.setdefault("apiVersion", resource.api_version)
                    obj.setdefault("kind", kind)
                    found.append({"resource": resource, "kind": kind, "namespace": meta.get("namespace"),
                                  "name": meta.get("name"), "object": obj})
        return sorted(found, key=prune_key)

    def prune(self, candidates):
        for cand in candidates:
            resource, obj = cand["resource"], cand["object"]
            # The API server reads DeleteOptions from the body when there is one, ignoring the
            # query: dryRun must be in the body.
            options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
            if self.check_mode:
                options["dryRun"] = ["All"]
            what = describe(cand["kind"], cand["namespace"], cand["name"])
            try:
                self.client.request("DELETE", resource.path(cand["namespace"], cand["name"]), body=options,
                                    content_type="application/json")
            except ApiError as exc:
                if exc.is_not_found:
                    continue
                self._fail(what, "prune (delete)", exc, {"apiVersion": resource.api_version, "kind": cand["kind"],
                                                         "namespace": cand["namespace"], "name": cand["name"]})
                continue
            self._entry(resource.api_version, cand["kind"], cand["namespace"], cand["name"], "pruned", obj,
                        before=obj)

    # -- wait
    def wait_ready(self, items):
        """Poll all workloads together until ready, failed or ``wait_timeout``; returns the
        not-ready ones as [{kind, namespace, name, state, reason}]."""
        pending = dict((item.key, item) for item in items if is_workload(item))
        reasons = {}
        failed = {}
        deadline = self.clock() + self.wait_timeout
        while pending:
            for key in list(pending):
                item = pending[key]
                try:
                    obj = self._get(item.path())
                except ApiError as exc:
                    reasons[key] = "cannot read it: %s" % exc.describe()
                    continue
                if obj is None:
                    reasons[key] = "it does not exist (any more)"
                    continue
                state, why = readiness(obj)
                if state == "pending":
                    reasons[key] = why
                    continue
                del pending[key]
                reasons.pop(key, None)
                if state == "failed":
                    failed[key] = (item, why)
            if not pending or self.clock() >= deadline:
                break
            self.sleep(max(0, min(self.wait_sleep, deadline - self.clock())))
        out = []
        for key, item in pending.items():
            out.append({"kind": item.kind, "namespace": item.namespace, "name": item.name, "state": "pending",
                        "reason": reasons.get(key, "not checked")})
        for key, (item, why) in failed.items():
            out.append({"kind": item.kind, "namespace": item.namespace, "name": item.name, "state": "failed",
                        "reason": why})
        return sorted(out, key=lambda e: (e["kind"], e["namespace"] or "", e["name"]))

    # -- everything
    def run(self, items):
        """Apply ``items`` (from prepare); returns the result dict. Errors are in ``errors``."""
        ordered = install_order(items)
        aset = self.applyset
        parent_before = None
        previous = ([], [])
        parent_info = None
        if aset:
            group_kinds, namespaces = members_summary(
                [{"apiVersion": i.api_version, "kind": i.kind, "namespace": i.namespace} for i in ordered])
            try:
                parent_before = self._get(self._parent_path())
                previous = aset.read_parent(parent_before)
            except (ApiError, ValueError) as exc:
                self._fail(aset.ref, "read the ApplySet parent", exc)
                return self.result(ordered, None)
            parent_info = {"group_kinds": group_kinds, "namespaces": namespaces}
            # the parent's own namespace first, if this set creates it
            for item in ordered:
                if item.group == "" and item.kind == "Namespace" and item.name == aset.namespace:
                    self.apply_item(item)
            if self.errors:
                return self.result(ordered, parent_info)
            try:
                self.update_parent(sorted(set(previous[0]) | set(group_kinds)),
                                   sorted(set(previous[1]) | set(namespaces)))
            except ApiError as exc:
                self._fail(aset.ref, "update the ApplySet parent", exc)
                return self.result(ordered, parent_info)
        done = set(e["name"] for e in self.entries if e["kind"] == "Namespace")
        first = [i for i in ordered if is_first_phase(i) and not (i.kind == "Namespace" and i.name in done)]
        rest = [i for i in ordered if not is_first_phase(i)]
        self.apply_items(first)
        if not self.check_mode:
            crds = [i for i in first if i.group == CRD_GROUP and i.kind == CRD_KIND
                    and any(e["kind"] == CRD_KIND and e["name"] == i.name and e["action"] != "failed" for e in self.entries)]
            if crds:
                self.wait_established(crds)
        if self.errors:
            return self.result(ordered, parent_info)
        self.apply_items(rest)
        if self.errors:
            return self.result(ordered, parent_info)
        if aset:
            self.prune(self.find_prunable(*previous))
            if self.errors:
                return self.result(ordered, parent_info)
            try:
                parent_after = self.update_parent(parent_info["group_kinds"], parent_info["namespaces"])
            except ApiError as exc:
                self._fail(aset.ref, "update the ApplySet parent", exc)
                return self.result(ordered, parent_info)
            if parent_after is None:
                parent_info["action"] = "created"
                parent_info["validated"] = False
            else:
                parent_info["action"] = self._decide(parent_before, parent_after, parent_field_manager(aset.tooling))
        not_ready = None
        if self.wait and not self.check_mode:
            not_ready = self.wait_ready(ordered)
        return self.result(ordered, parent_info, not_ready)

    def result(self, ordered, parent_info, not_ready=None):
        summary = dict((a, 0) for a in ("created", "configured", "unchanged", "pruned", "failed"))
        for entry in self.entries:
            summary[entry["action"]] = summary.get(entry["action"], 0) + 1
        changed = any(summary[a] for a in ("created", "configured", "pruned"))
        out = {"objects": self.entries, "summary": summary}
        if self.applyset:
            aset = self.applyset
            info = dict(parent_info or {})
            out["applyset"] = {
                "id": aset.id, "tooling": aset.tooling,
                "parent": {"apiVersion": "v1", "kind": aset.kind, "namespace": aset.namespace, "name": aset.name},
                "group_kinds": info.get("group_kinds", []),
                "additional_namespaces": [ns for ns in info.get("namespaces", []) if ns != aset.namespace],
                "action": info.get("action", "not updated"),
            }
            if "validated" in info:
                out["applyset"]["validated"] = info["validated"]
            changed = changed or info.get("action") in ("created", "configured")
        out["changed"] = changed
        if not_ready is not None:
            out["not_ready"] = not_ready
        if self.diff:
            out["diff"] = self.diffs
        out["warnings"] = self.warnings + [w for w in getattr(self.client, "warnings", []) if w not in self.warnings]
        out["errors"] = list(self.errors)
        return out
