# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compose project -> Kubernetes objects (behind the compose_to_k8s filter).

One source of truth: the Compose project that compose_stack renders is converted here into a
Deployment and a Service per service, a Secret for the env file, PersistentVolumeClaims for
named volumes, ConfigMaps for bind-mounted files, and hostPath mounts for /LOG.

What cannot be converted is refused with the service and the key named, never dropped silently.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.investment.orchestration.plugins.module_utils.memory import parse_quantity

# Compose keys that have a faithful Kubernetes form here.
CONVERTED = frozenset((
    "image", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes",
    "healthcheck", "mem_limit", "mem_reservation", "restart", "logging", "depends_on",
    "working_dir", "user", "labels", "deploy", "container_name", "hostname",
))
# Keys refused with a reason: converting them would change what the service does.
REFUSED = {
    "build": "images are built ahead and referenced by name",
    "network_mode": "pods have their own network namespace",
    "privileged": "privileged pods are not allowed in these clusters",
    "pid": "pods do not share the host's PID namespace",
    "ipc": "pods do not share the host's IPC namespace",
    "devices": "device mappings need a device plugin",
    "extends": "resolve extends before converting",
    "links": "use service names (Kubernetes Services) instead of links",
    "volumes_from": "share a volume explicitly instead",
    "cap_add": "capabilities need a reviewed securityContext",
    "secrets": "use env_file (converted to a Secret) instead",
    "configs": "use a bind-mounted file (converted to a ConfigMap) instead",
}
LABEL_APP = "app.kubernetes.io/name"
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_MANAGED = "app.kubernetes.io/managed-by"
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")
_DOCKER_MEM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*$", re.IGNORECASE)
_HTTP_CHECK = re.compile(r"^https?://(?:127\.0\.0\.1|localhost)(?::(\d+))?(/[^\s]*)?$")


class ConversionError(ValueError):
    pass


def _fail(service, key, why):
    raise ConversionError("service %r: %s: %s" % (service, key, why))


def docker_memory_to_k8s(value, service="?"):
    """Docker's binary units (256m = 256 MiB) in Kubernetes notation (256Mi)."""
    if isinstance(value, int):
        return str(value)
    m = _DOCKER_MEM.match(str(value))
    if not m:
        _fail(service, "mem_limit", "%r is not a Docker memory size" % (value,))
    number, unit = m.group(1), m.group(2).lower()
    if unit == "":
        return str(int(float(number)))
    if "." in number:
        factor = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit]
        return str(int(float(number) * factor))
    return number + {"b": "", "k": "Ki", "m": "Mi", "g": "Gi"}[unit]


def duration_seconds(value, service="?", key="healthcheck"):
    """Compose durations (1m30s, 10s, 500ms) in whole seconds (at least 1)."""
    if isinstance(value, (int, float)):
        return max(1, int(value))
    m = _DURATION.match(str(value).strip())
    if not m or not any(m.groups()):
        _fail(service, key, "%r is not a duration" % (value,))
    h, mi, s, ms = (int(g) if g else 0 for g in m.groups())
    return max(1, h * 3600 + mi * 60 + s + (1 if ms else 0))


def _env_list(environment):
    if environment is None:
        return []
    if isinstance(environment, list):
        pairs = [(e.split("=", 1) + [""])[:2] for e in environment]
    else:
        pairs = sorted(environment.items())
    return [{"name": str(k), "value": "" if v is None else str(v)} for k, v in pairs]


def _probe(service, healthcheck):
    test = healthcheck.get("test")
    if healthcheck.get("disable") or test in (None, ["NONE"], "NONE"):
        return None
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    kind, args = test[0], list(test[1:])
    probe = None
    if kind == "CMD" and args[:1] == ["curl"]:
        urls = [a for a in args[1:] if not a.startswith("-")]
        m = _HTTP_CHECK.match(urls[-1]) if urls else None
        if m:
            probe = {"httpGet": {"path": m.group(2) or "/", "port": int(m.group(1) or 80)}}
    if probe is None:
        if kind == "CMD":
            probe = {"exec": {"command": args}}
        elif kind == "CMD-SHELL":
            probe = {"exec": {"command": ["sh", "-c", " ".join(args).replace("$$", "$")]}}
        else:
            _fail(service, "healthcheck.test", "must start with CMD or CMD-SHELL")
    probe.update({
        "periodSeconds": duration_seconds(healthcheck.get("interval", "30s"), service),
        "timeoutSeconds": duration_seconds(healthcheck.get("timeout", "30s"), service),
        "failureThreshold": int(healthcheck.get("retries", 3)),
    })
    return probe


def _port_numbers(service, spec):
    """(container port, published port or None) for ports and expose."""
    out = []
    for p in spec.get("ports") or []:
        if isinstance(p, dict):
            out.append((int(p["target"]), int(p["published"]) if p.get("published") else None))
            continue
        text = str(p).split("/", 1)[0]
        parts = text.split(":")
        if "-" in text:
            _fail(service, "ports", "port ranges (%s) are not converted" % p)
        out.append((int(parts[-1]), int(parts[-2]) if len(parts) > 1 else None))
    for e in spec.get("expose") or []:
        out.append((int(str(e).split("/", 1)[0]), None))
    seen, uniq = set(), []
    for c, pub in out:
        if c not in seen:
            seen.add(c)
            uniq.append((c, pub))
    return uniq


def _command(value):
    if value is None:
        return None
    if isinstance(value, str):
        return ["sh", "-c", value]
    return [str(v).replace("$$", "$") for v in value]


def pv_name(namespace, claim):
    """The PersistentVolume of a claim under ``volume_root`` (cluster-scoped: the namespace is in it)."""
    return "%s-%s" % (namespace, claim)


def volume_path(volume_root, namespace, claim):
    """Where the PersistentVolume of a claim keeps its files on the node."""
    return "%s/%s/%s" % (str(volume_root).rstrip("/"), namespace, claim)


def convert(project, namespace, files=None, secret_data=None, storage_class=None,
            volume_size="1Gi", image_pull_policy="IfNotPresent", log_root="/LOG",
            request_ratio=0.5, volume_root=None):
    """Return the Kubernetes objects for a Compose project.

    ``files`` maps the source of each bind-mounted file (``./nginx.conf``) to its content;
    ``secret_data`` is the content of the env file (name -> value), put in one Secret that every
    service with ``env_file`` reads. Memory requests are ``request_ratio`` of the limits, so a
    1 GB node can place the stack while the limits still cap every container.
    With ``volume_root`` (a directory on a single node), every claim is bound to its own
    PersistentVolume at ``<volume_root>/<namespace>/<claim>`` (hostPath, Retain, no storage class):
    the directory a data move fills before the pods start (roles/cutover), kept when the claim goes.
    """
    if volume_root is not None and not str(volume_root).startswith("/"):
        raise ConversionError("volume_root %r must be an absolute path" % (volume_root,))
    name = project.get("name")
    if not name:
        raise ConversionError("the project has no name")
    files = files or {}
    objects = []
    labels_base = {LABEL_PART_OF: name, LABEL_MANAGED: "investment.orchestration"}
    secret_name = "%s-env" % name
    uses_secret = False
    claims = {}
    for svc, spec in sorted((project.get("services") or {}).items()):
        for key in spec:
            if key in REFUSED:
                _fail(svc, key, REFUSED[key])
            if key not in CONVERTED:
                _fail(svc, key, "no Kubernetes conversion is defined")
        if not spec.get("image"):
            _fail(svc, "image", "an image is required")
        labels = dict(labels_base, **{LABEL_APP: svc})
        container = {"name": svc, "image": spec["image"], "imagePullPolicy": image_pull_policy}
        if spec.get("entrypoint") is not None:
            container["command"] = _command(spec["entrypoint"])
        if spec.get("command") is not None:
            cmd = _command(spec["command"])
            if spec.get("entrypoint") is None and isinstance(spec["command"], str):
                container["command"] = cmd
            else:
                container["args"] = cmd
        env = _env_list(spec.get("environment"))
        if env:
            container["env"] = env
        if spec.get("env_file"):
            uses_secret = True
            container["envFrom"] = [{"secretRef": {"name": secret_name}}]
        if spec.get("working_dir"):
            container["workingDir"] = spec["working_dir"]
        ports = _port_numbers(svc, spec)
        if ports:
            container["ports"] = [{"containerPort": c, "name": "p%d" % c} for c, _published in ports]
        mounts, volumes = [], []
        for i, vol in enumerate(spec.get("volumes") or []):
            if isinstance(vol, dict):
                _fail(svc, "volumes", "long volume syntax is not converted")
            parts = vol.split(":")
            source, target = parts[0], parts[1] if len(parts) > 1 else parts[0]
            read_only = len(parts) > 2 and "ro" in parts[2].split(",")
            vname = "v%d" % i
            if source.startswith(log_root.rstrip("/") + "/") or source == log_root:
                volumes.append({"name": vname, "hostPath": {"path": source, "type": "DirectoryOrCreate"}})
            elif source.startswith((".", "/")):
                if source not in files:
                    _fail(svc, "volumes", "bind mount %r needs its content in files" % source)
                cm = "%s-%s-%s" % (name, svc, re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-"))
                key = source.rsplit("/", 1)[-1]
                objects.append({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": cm, "namespace": namespace, "labels": labels},
                                "data": {key: files[source]}})
                volumes.append({"name": vname, "configMap": {"name": cm}})
                mounts.append({"name": vname, "mountPath": target, "subPath": key, "readOnly": True})
                continue
            else:
                claim = "%s-%s" % (name, source.replace("_", "-"))
                claims[claim] = labels_base
                volumes.append({"name": vname, "persistentVolumeClaim": {"claimName": claim}})
            mount = {"name": vname, "mountPath": target}
            if read_only:
                mount["readOnly"] = True
            mounts.append(mount)
        if mounts:
            container["volumeMounts"] = mounts
        deploy_limits = ((spec.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        limits = spec.get("mem_limit") or deploy_limits.get("memory")
        if limits:
            limit = docker_memory_to_k8s(limits, svc)
            from_bytes = parse_quantity(limit)
            request = spec.get("mem_reservation")
            container["resources"] = {
                "limits": {"memory": limit},
                "requests": {"memory": docker_memory_to_k8s(request, svc) if request
                             else "%dMi" % max(1, int(from_bytes * request_ratio) // 1048576)},
            }
        probe = _probe(svc, spec.get("healthcheck") or {})
        if probe:
            container["readinessProbe"] = probe
            live = dict(probe, failureThreshold=probe["failureThreshold"] * 2)
            start = (spec.get("healthcheck") or {}).get("start_period")
            if start:
                live["initialDelaySeconds"] = duration_seconds(start, svc)
            container["livenessProbe"] = live
        pod = {"containers": [container]}
        if volumes:
            pod["volumes"] = volumes
        strategy = {"type": "Recreate"} if any("persistentVolumeClaim" in v for v in volumes) else None
        deployment = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": svc, "namespace": namespace, "labels": labels},
            "spec": {"replicas": int(((spec.get("deploy") or {}).get("replicas")) or 1),
                     "selector": {"matchLabels": {LABEL_APP: svc, LABEL_PART_OF: name}},
                     "template": {"metadata": {"labels": labels}, "spec": pod}},
        }
        if strategy:
            deployment["spec"]["strategy"] = strategy
        objects.append(deployment)
        if ports:
            objects.append({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": svc, "namespace": namespace, "labels": labels},
                "spec": {"selector": {LABEL_APP: svc, LABEL_PART_OF: name},
                         "ports": [{"name": "p%d" % c, "port": pub or c, "targetPort": c}
                                   for c, pub in ports]},
            })
    for claim, labels in sorted(claims.items()):
        pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": claim, "namespace": namespace, "labels": labels},
               "spec": {"accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": volume_size}}}}
        if volume_root:
            pv = volume_path(volume_root, namespace, claim)
            pvc["spec"].update(storageClassName="", volumeName=pv_name(namespace, claim))
            objects.append({
                "apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": pv_name(namespace, claim), "labels": labels},
                "spec": {"capacity": {"storage": volume_size}, "accessModes": ["ReadWriteOnce"],
                         "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
                         "claimRef": {"namespace": namespace, "name": claim},
                         "hostPath": {"path": pv, "type": "DirectoryOrCreate"}}})
        elif storage_class:
            pvc["spec"]["storageClassName"] = storage_class
        objects.append(pvc)
    if uses_secret:
        if not secret_data:
            raise ConversionError("services read env_file but no secret data was given")
        objects.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": {"name": secret_name, "namespace": namespace,
                                     "labels": labels_base},
                        "stringData": dict((str(k), str(v)) for k, v in secret_data.items())})
    return objects
