# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ApplySet bookkeeping (KEP-3659), computed exactly as kubectl does.

kubectl's implementation is ``staging/src/k8s.io/kubectl/pkg/cmd/apply/applyset.go``; the
names below follow it:

* the parent object is a Secret (default) or a ConfigMap; its label ``applyset.kubernetes.io/id``
  is ``applyset-`` + base64url-without-padding(sha256(``<name>.<namespace>.<Kind>.<group>``)) +
  ``-v1`` (``ApplySet.ID``; the core group is the empty string, so a Secret ends in ``Secret.``);
* the parent's annotations: ``applyset.kubernetes.io/tooling`` (``<tool>/<version>``),
  ``applyset.kubernetes.io/contains-group-kinds`` (the members' group kinds, ``Kind`` for the
  core group else ``Kind.group``, sorted, comma separated) and
  ``applyset.kubernetes.io/additional-namespaces`` (the members' namespaces other than the
  parent's, sorted, comma separated; always present, possibly empty);
* every member carries the label ``applyset.kubernetes.io/part-of=<id>``;
* pruning lists, for every group kind of the parent's annotation as it was before this run, in
  every namespace of the annotation plus the parent's own, the objects labelled part-of the set,
  and deletes those that this run did not apply.

Pure functions; no API calls.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

ID_LABEL = "applyset.kubernetes.io/id"
PART_OF_LABEL = "applyset.kubernetes.io/part-of"
TOOLING_ANNOTATION = "applyset.kubernetes.io/tooling"
GROUP_KINDS_ANNOTATION = "applyset.kubernetes.io/contains-group-kinds"
ADDITIONAL_NAMESPACES_ANNOTATION = "applyset.kubernetes.io/additional-namespaces"
DEPRECATED_GROUP_RESOURCES_ANNOTATION = "applyset.kubernetes.io/contains-group-resources"

PARENT_KINDS = ("Secret", "ConfigMap")
ID_FORMAT = "applyset-%s-v1"


def applyset_id(name, namespace, kind="Secret", group=""):
    """The ApplySet id of the parent object ``kind.group`` ``namespace/name`` (kubectl's ID())."""
    unencoded = ".".join([name, namespace or "", kind, group or ""])
    digest = hashlib.sha256(unencoded.encode("utf-8")).digest()
    return ID_FORMAT % base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def group_kind(api_version, kind):
    """Go's ``schema.GroupKind.String()``: ``Kind`` in the core group, else ``Kind.group``."""
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return "%s.%s" % (kind, group) if group else kind


def split_group_kind(text):
    """Inverse of group_kind: ``Deployment.apps`` -> (``apps``, ``Deployment``)."""
    parts = text.split(".", 1)
    return (parts[1] if len(parts) == 2 else ""), parts[0]


def join_sorted(values):
    return ",".join(sorted(set(v for v in values if v)))


def split_list(text):
    return sorted(set(v for v in (text or "").split(",") if v))


def tooling_name(tooling):
    """``kubectl/v1.34.4`` -> ``kubectl`` (kubectl's toolingBaseName)."""
    return tooling.split("/")[0] if "/" in tooling else tooling


def parent_field_manager(tooling):
    """The field manager that writes the parent, ``<tool>-applyset`` as kubectl's."""
    return "%s-applyset" % tooling_name(tooling)


class ApplySet(object):
    """One ApplySet: its parent, its id, and the group kinds / namespaces of its members."""

    def __init__(self, name, namespace, kind="Secret", tooling="kubectl/v0.0.0"):
        if kind not in PARENT_KINDS:
            raise ValueError("ApplySet parent kind must be one of %s, not %r" % (", ".join(PARENT_KINDS), kind))
        if not name:
            raise ValueError("the ApplySet parent needs a name")
        if not namespace:
            raise ValueError("namespace is required to use namespace-scoped ApplySet parent %s %s"
                             % (kind, name))
        if "/" not in tooling or not tooling_name(tooling) or not tooling.split("/", 1)[1]:
            raise ValueError("ApplySet tooling must be <tool>/<version>, not %r" % (tooling,))
        self.name = name
        self.namespace = namespace
        self.kind = kind
        self.tooling = tooling
        self.id = applyset_id(name, namespace, kind, "")

    @property
    def ref(self):
        return "%s %s/%s" % (self.kind, self.namespace, self.name)

    def member_labels(self):
        return {PART_OF_LABEL: self.id}

    def selector(self):
        return "%s=%s" % (PART_OF_LABEL, self.id)

    def label_member(self, obj):
        """Add the part-of label to ``obj`` (in place); refuse a member of another set."""
        labels = obj.setdefault("metadata", {}).get("labels") or {}
        current = labels.get(PART_OF_LABEL)
        if current is not None and current != self.id:
            raise ValueError("it is labelled %s=%s, a member of another ApplySet (this one is %s)"
                             % (PART_OF_LABEL, current, self.id))
        labels[PART_OF_LABEL] = self.id
        obj["metadata"]["labels"] = labels
        return obj

    def parent_patch(self, group_kinds, namespaces):
        """The server-side apply body of the parent (kubectl's buildParentPatch)."""
        return {
            "apiVersion": "v1",
            "kind": self.kind,
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "annotations": {
                    TOOLING_ANNOTATION: self.tooling,
                    GROUP_KINDS_ANNOTATION: join_sorted(group_kinds),
                    ADDITIONAL_NAMESPACES_ANNOTATION: join_sorted(
                        ns for ns in namespaces if ns != self.namespace),
                },
                "labels": {ID_LABEL: self.id},
            },
        }

    def read_parent(self, parent):
        """(group kinds, namespaces) recorded on the live parent ``parent`` (None: no parent yet).

        The namespaces include the parent's own, where members may be. Raises ValueError when the
        parent belongs to another tool or set, as kubectl refuses to take it over.
        """
        if parent is None:
            return [], []
        meta = parent.get("metadata") or {}
        labels = meta.get("labels") or {}
        annotations = meta.get("annotations") or {}
        if TOOLING_ANNOTATION not in annotations:
            raise ValueError("ApplySet parent %s already exists and is missing required annotation %s"
                             % (self.ref, TOOLING_ANNOTATION))
        owner = tooling_name(annotations[TOOLING_ANNOTATION])
        if owner != tooling_name(self.tooling):
            raise ValueError("ApplySet parent %s already exists and is managed by tooling %r instead of %r"
                             % (self.ref, owner, tooling_name(self.tooling)))
        if ID_LABEL not in labels:
            raise ValueError("ApplySet parent %s exists and does not have required label %s" % (self.ref, ID_LABEL))
        if labels[ID_LABEL] != self.id:
            raise ValueError("ApplySet parent %s exists and has incorrect value for label %s (got: %s, want: %s)"
                             % (self.ref, ID_LABEL, labels[ID_LABEL], self.id))
        if GROUP_KINDS_ANNOTATION not in annotations:
            extra = ""
            if annotations.get(DEPRECATED_GROUP_RESOURCES_ANNOTATION):
                extra = " (the deprecated %s annotation is not read: re-apply the set once with kubectl)" % (
                    DEPRECATED_GROUP_RESOURCES_ANNOTATION)
            raise ValueError("ApplySet parent %s lacks the %s annotation%s" % (self.ref, GROUP_KINDS_ANNOTATION, extra))
        group_kinds = split_list(annotations[GROUP_KINDS_ANNOTATION])
        namespaces = split_list(annotations.get(ADDITIONAL_NAMESPACES_ANNOTATION))
        return group_kinds, sorted(set(namespaces) | {self.namespace})


def members_summary(objects):
    """(group kinds, namespaces) of member objects: dicts with apiVersion, kind, and namespace
    (None or empty for a cluster-scoped object)."""
    group_kinds = set()
    namespaces = set()
    for obj in objects:
        group_kinds.add(group_kind(obj["apiVersion"], obj["kind"]))
        if obj.get("namespace"):
            namespaces.add(obj["namespace"])
    return sorted(group_kinds), sorted(namespaces)
