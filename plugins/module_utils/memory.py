# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Memory arithmetic behind the node_memory_headroom module and the quantity filters.

Quantities
    Two notations are in play and they clash on ``m``/``M``:

    * ``k8s`` (Kubernetes ``resource.Quantity``): binary suffixes ``Ki Mi Gi Ti Pi Ei``, decimal
      suffixes ``m`` (milli, 10^-3!) ``k M G T P E``, and decimal exponents ``1e3``/``1E3``.
      A bare ``E`` is exa; ``E`` followed by a number is an exponent. Fractional byte counts are
      rounded up, as ``Quantity.Value()`` does: ``768m`` is 0.768 bytes, i.e. 1 byte.
    * ``compose`` (Docker's ``units.RAMInBytes``, used for ``mem_limit`` and
      ``deploy.resources.*.memory``): units ``b k m g t p`` are binary (``m`` = MiB), case
      insensitive, optionally followed by ``i`` and/or ``b`` (``512mb``, ``1GiB``); fractional
      results are truncated.

    In both, a plain integer (or a string of digits) is a byte count.

Everything here is pure except ``scan_proc``, ``scan_cgroup_limit`` and
``scan_compose_containers``, which read /proc and /sys (roots passed in, so tests can use a fake
tree).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import os
import re
from fractions import Fraction

KiB = 1024
MiB = 1024 ** 2
GiB = 1024 ** 3

FLAVORS = ("k8s", "compose")

_K8S_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_K8S_DECIMAL = {"m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_K8S_RE = re.compile(
    r"^(?P<sign>[+-]?)(?P<int>\d*)(?:\.(?P<frac>\d*))?"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|m|k|M|G|T|P|E|)$"
)
_COMPOSE_RE = re.compile(
    r"^(?P<int>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))? ?"
    r"(?P<unit>[kmgtp]?)(?P<i>i?)(?P<b>b?)$",
    re.IGNORECASE,
)
_COMPOSE_UNITS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}

FORMAT_UNITS = {"Ki": KiB, "Mi": MiB, "Gi": GiB}

# cgroup v1 reports "no limit" as PAGE_COUNTER_MAX * page size (9223372036854771712 with 4 KiB
# pages, less with larger pages): anything from 2^62 up is treated as unlimited.
CGROUP_V1_UNLIMITED = 2 ** 62

# Processes whose resident memory is measured by default (exact /proc/<pid>/comm names).
DEFAULT_PROCESSES = ("k3s", "k3s-server", "k3s-agent", "containerd", "dockerd", "kubelet")

DEFAULT_WARN_FREE = 128 * MiB

_SOURCE_TEXT = {"cgroup": "the cgroup limit", "meminfo": "MemTotal"}

_CONTAINER_DIR = re.compile(r"^(?:docker-)?(?P<id>[0-9a-f]{64})(?:\.scope)?$")


def _digits_fraction(int_part, frac_part):
    int_part = int_part or "0"
    frac_part = frac_part or ""
    return Fraction(int(int_part + frac_part), 10 ** len(frac_part))


def _ceil(fraction):
    return -((-fraction.numerator) // fraction.denominator)


def parse_quantity(value, flavor="k8s", allow_milli=True):
    """Return the byte count of a memory quantity ``value`` written in ``flavor`` notation.

    ``flavor`` is ``k8s`` (Kubernetes, the default) or ``compose`` (Docker/Compose); see the
    module docstring for how they differ. Integers and digit strings are bytes in both.
    With ``allow_milli=False`` the Kubernetes ``m`` (milli) suffix is refused: it is almost
    always a Docker-style ``m`` meant as MiB.
    Raises ValueError quoting ``value`` when it is not a non-negative quantity.
    """
    if flavor not in FLAVORS:
        raise ValueError("unknown quantity flavor %r (expected one of: %s)" % (flavor, ", ".join(FLAVORS)))
    if isinstance(value, bool) or value is None:
        raise ValueError("invalid memory quantity %r: not a number or a string" % (value,))
    if isinstance(value, int):
        if value < 0:
            raise ValueError("invalid memory quantity %r: negative" % (value,))
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or value < 0:
            raise ValueError("invalid memory quantity %r: not a finite non-negative number" % (value,))
        return _ceil(Fraction(value)) if flavor == "k8s" else int(value)
    if not isinstance(value, str):
        raise ValueError("invalid memory quantity %r: not a number or a string" % (value,))
    text = value.strip()
    if flavor == "k8s":
        return _parse_k8s(value, text, allow_milli)
    return _parse_compose(value, text)


def _parse_k8s(value, text, allow_milli):
    m = _K8S_RE.match(text)
    if not m or not (m.group("int") or m.group("frac")):
        raise ValueError("invalid memory quantity %r: not a Kubernetes quantity "
                         "(<number>[Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|e<exp>])" % (value,))
    if m.group("sign") == "-":
        raise ValueError("invalid memory quantity %r: negative" % (value,))
    number = _digits_fraction(m.group("int"), m.group("frac"))
    suffix = m.group("suffix")
    if suffix == "m" and not allow_milli:
        raise ValueError("invalid memory quantity %r: in Kubernetes notation 'm' means milli "
                         "(1/1000 byte); write Mi for mebibytes" % (value,))
    if suffix in _K8S_BINARY:
        number *= 1024 ** _K8S_BINARY[suffix]
    elif suffix in _K8S_DECIMAL:
        number *= Fraction(10) ** _K8S_DECIMAL[suffix]
    else:
        number *= Fraction(10) ** int(suffix[1:])
    return _ceil(number)


def _parse_compose(value, text):
    m = _COMPOSE_RE.match(text)
    if not m or not (m.group("int") or m.group("frac")):
        raise ValueError("invalid memory quantity %r: not a Docker/Compose size "
                         "(<number>[b|k|m|g|t|p][i][b], binary units)" % (value,))
    unit = m.group("unit").lower()
    if not unit and m.group("i"):
        raise ValueError("invalid memory quantity %r: 'i' without a unit" % (value,))
    number = _digits_fraction(m.group("int"), m.group("frac"))
    if m.group("exp"):
        number *= Fraction(10) ** int(m.group("exp"))
    number *= 1024 ** _COMPOSE_UNITS[unit]
    return int(number)


def _floor_tenths(value, unit_bytes):
    """``value / unit_bytes`` as text, whole when exact, else rounded toward zero to 0.1."""
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude % unit_bytes == 0:
        return "%s%d" % (sign, magnitude // unit_bytes)
    tenths = magnitude * 10 // unit_bytes
    if tenths == 0:
        sign = ""
    return "%s%d.%d" % (sign, tenths // 10, tenths % 10)


def format_quantity(value, unit="Mi"):
    """Format a byte count as a binary quantity, e.g. ``536870912`` -> ``'512Mi'``.

    Whole multiples of ``unit`` (``Ki``, ``Mi`` or ``Gi``) are written without a decimal point;
    anything else is rounded toward zero to one decimal (``1.5Gi``, ``0.9Mi``). Negative values
    (a negative headroom) keep their sign.
    """
    if unit not in FORMAT_UNITS:
        raise ValueError("unknown unit %r (expected one of: %s)" % (unit, ", ".join(FORMAT_UNITS)))
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("invalid byte count %r: not an integer" % (value,))
    return _floor_tenths(value, FORMAT_UNITS[unit]) + unit


def to_mib(value, flavor="k8s"):
    """Return quantity ``value`` in MiB: an int when whole, else a float rounded down to 0.1."""
    text = _floor_tenths(parse_quantity(value, flavor), MiB)
    return float(text) if "." in text else int(text)


def quantity_error(value, flavor="k8s", allow_milli=True, minimum=None):
    """Why ``value`` is not a usable memory quantity, or '' when it is: for an assert that names
    the variable and the host before anything changes. ``minimum`` (bytes or a quantity of the
    same flavor) refuses smaller values, e.g. Docker's 6 MiB floor for mem_limit, where 0 would
    mean no limit at all."""
    try:
        size = parse_quantity(value, flavor, allow_milli)
    except ValueError as exc:
        return str(exc)
    if minimum is not None:
        floor = parse_quantity(minimum, flavor)
        if size < floor:
            return "%r is %d bytes, less than the minimum %s" % (value, size, minimum)
    return ""


def _mib_text(value):
    return _floor_tenths(value, MiB) + " MiB"


# --------------------------------------------------------------------------------------------
# /proc and cgroup readings


def read_meminfo(text):
    """Return MemTotal, MemAvailable, SwapTotal and SwapFree (bytes) from /proc/meminfo text.

    Fields missing from ``text`` (MemAvailable before Linux 3.14) are None; a missing MemTotal
    raises ValueError.
    """
    fields = {}
    for line in (text or "").splitlines():
        m = re.match(r"^(\w+):\s+(\d+)(?:\s+kB)?\s*$", line)
        if m:
            fields[m.group(1)] = int(m.group(2)) * (KiB if line.rstrip().endswith("kB") else 1)
    if "MemTotal" not in fields:
        raise ValueError("no MemTotal line in the meminfo text")
    return dict((key, fields.get(key)) for key in ("MemTotal", "MemAvailable", "SwapTotal", "SwapFree"))


def _cgroup_value(text, name):
    text = (text or "").strip()
    if not re.match(r"^\d+$", text):
        raise ValueError("invalid %s value %r" % (name, text))
    return int(text)


def read_cgroup_limit(v1_limit_text=None, v2_max_text=None):
    """Return the memory limit in bytes, or None when there is none.

    ``v1_limit_text`` is the content of cgroup v1 ``memory.limit_in_bytes`` (values from 2^62 up
    mean "no limit"); ``v2_max_text`` that of cgroup v2 ``memory.max`` (``max`` means no limit).
    With both, the lower limit wins.
    """
    limits = []
    if v1_limit_text is not None:
        value = _cgroup_value(v1_limit_text, "memory.limit_in_bytes")
        if value < CGROUP_V1_UNLIMITED:
            limits.append(value)
    if v2_max_text is not None and v2_max_text.strip() != "max":
        limits.append(_cgroup_value(v2_max_text, "memory.max"))
    return min(limits) if limits else None


def capacity(meminfo, cgroup_limit):
    """The memory this host (or container) can use: the smaller of MemTotal and the cgroup limit.

    Returns ``bytes``, ``source`` (``cgroup`` when the limit is lower, else ``meminfo``),
    ``meminfo_total_bytes`` and ``cgroup_limit_bytes``.
    """
    total = meminfo["MemTotal"]
    if cgroup_limit is not None and cgroup_limit < total:
        value, source = cgroup_limit, "cgroup"
    else:
        value, source = total, "meminfo"
    return {"bytes": value, "source": source, "meminfo_total_bytes": total,
            "cgroup_limit_bytes": cgroup_limit}


def _read(path):
    with open(path) as f:
        return f.read()


def _own_cgroup_paths(proc_root):
    """Own cgroup paths from <proc_root>/self/cgroup: (v1 memory path, v2 path), None if absent."""
    v1 = v2 = None
    try:
        text = _read(os.path.join(proc_root, "self", "cgroup"))
    except (IOError, OSError):
        return v1, v2
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
        elif "memory" in parts[1].split(","):
            v1 = parts[2]
    return v1, v2


def _ancestors(mount, path):
    """The mount root, then every existing directory on the way down to ``path`` under it."""
    dirs = [mount]
    current = mount
    for part in [p for p in (path or "").split("/") if p]:
        current = os.path.join(current, part)
        if not os.path.isdir(current):
            break
        dirs.append(current)
    return dirs


def scan_cgroup_limit(sys_root="/sys", proc_root="/proc"):
    """Find the memory limit that applies to this process; return (bytes or None, file or None).

    Reads cgroup v1 ``memory.limit_in_bytes`` under ``<sys_root>/fs/cgroup/memory`` when the
    memory controller is mounted there, else cgroup v2 ``memory.max`` under
    ``<sys_root>/fs/cgroup``: at the mount root (where a container with a private cgroup
    namespace, or a bind-mounted cgroup, sees its own limit) and at every ancestor of the
    process's own cgroup (from ``<proc_root>/self/cgroup``) that is visible. The lowest limit
    wins, since a parent's limit caps its children.
    """
    v1_path, v2_path = _own_cgroup_paths(proc_root)
    v1_mount = os.path.join(sys_root, "fs", "cgroup", "memory")
    if os.path.isfile(os.path.join(v1_mount, "memory.limit_in_bytes")):
        dirs, filename, kind = _ancestors(v1_mount, v1_path), "memory.limit_in_bytes", "v1"
    else:
        v2_mount = os.path.join(sys_root, "fs", "cgroup")
        dirs, filename, kind = _ancestors(v2_mount, v2_path), "memory.max", "v2"
    best = (None, None)
    for directory in dirs:
        path = os.path.join(directory, filename)
        try:
            text = _read(path)
        except (IOError, OSError):
            continue
        limit = read_cgroup_limit(text if kind == "v1" else None, text if kind == "v2" else None)
        if limit is not None and (best[0] is None or limit < best[0]):
            best = (limit, path)
    return best


def _process_name(comm_or_cmdline):
    text = comm_or_cmdline.replace("\0", " ").strip()
    first = text.split()[0] if text else ""
    return first.rsplit("/", 1)[-1]


def _vmrss_bytes(status_text):
    m = re.search(r"^VmRSS:\s+(\d+)\s+kB", status_text or "", re.MULTILINE)
    return int(m.group(1)) * KiB if m else None


def process_rss(proc_entries, names=DEFAULT_PROCESSES):
    """Sum the resident memory of the processes called ``names``; return {name: bytes}.

    ``proc_entries`` is either a list of ``(comm or cmdline, /proc/<pid>/status text)`` tuples
    (as ``scan_proc`` returns) or a dict ``{name: VmRSS in kB}`` whose values may also be lists
    (one per process). Names match exactly (``containerd-shim-runc-v2`` is not ``containerd``);
    processes without a VmRSS line (kernel threads) are skipped. Names with no process are absent
    from the result. Shared pages are counted once per process, so the sum errs high.
    """
    wanted = set(names)
    totals = {}
    if isinstance(proc_entries, dict):
        for name, kib in proc_entries.items():
            if name not in wanted:
                continue
            values = kib if isinstance(kib, (list, tuple)) else [kib]
            totals[name] = totals.get(name, 0) + sum(int(v) for v in values) * KiB
        return totals
    for comm, status in proc_entries:
        name = _process_name(comm)
        if name not in wanted:
            continue
        rss = _vmrss_bytes(status)
        if rss is None:
            continue
        totals[name] = totals.get(name, 0) + rss
    return totals


def scan_proc(root="/proc", names=None):
    """Read ``(comm, status text)`` of every process under ``root``.

    With ``names``, only processes whose comm is one of them are read in full. Processes that end
    while being read are skipped.
    """
    entries = []
    try:
        pids = sorted((d for d in os.listdir(root) if d.isdigit()), key=int)
    except (IOError, OSError):
        return entries
    wanted = set(names) if names is not None else None
    for pid in pids:
        try:
            comm = _read(os.path.join(root, pid, "comm")).strip()
            if wanted is not None and comm not in wanted:
                continue
            entries.append((comm, _read(os.path.join(root, pid, "status"))))
        except (IOError, OSError):
            continue
    return entries


def _memory_stat(directory, key):
    try:
        text = _read(os.path.join(directory, "memory.stat"))
    except (IOError, OSError):
        return 0
    m = re.search(r"^%s (\d+)$" % re.escape(key), text, re.MULTILINE)
    return int(m.group(1)) if m else 0


def _container_name(docker_root, container_id):
    """(compose service or None, container name) from the container's config.v2.json."""
    try:
        config = json.loads(_read(os.path.join(docker_root, "containers", container_id, "config.v2.json")))
    except (IOError, OSError, ValueError):
        return None, container_id[:12]
    labels = (config.get("Config") or {}).get("Labels") or {}
    name = (config.get("Name") or "").lstrip("/") or container_id[:12]
    return labels.get("com.docker.compose.service"), name


def scan_compose_containers(sys_root="/sys", docker_root="/var/lib/docker"):
    """Memory in use by running Docker containers, read from the cgroup file system.

    Looks for container cgroups in cgroup v1 (``fs/cgroup/memory/docker/<id>``,
    ``fs/cgroup/memory/system.slice/docker-<id>.scope``: ``memory.usage_in_bytes`` minus
    ``total_inactive_file``) and cgroup v2 (``fs/cgroup/system.slice/docker-<id>.scope``,
    ``fs/cgroup/docker/<id>``: ``memory.current`` minus ``inactive_file``), the way
    ``docker stats`` counts. Containers are named by their Compose service label, else by their
    name, read from ``<docker_root>/containers/<id>/config.v2.json``, else by their short id.
    Returns ``{"items": {name: bytes}, "containers": [...]}``; each container says its source.
    """
    cgroup = os.path.join(sys_root, "fs", "cgroup")
    layouts = (
        ("v1", os.path.join(cgroup, "memory", "docker"), "memory.usage_in_bytes", "total_inactive_file"),
        ("v1", os.path.join(cgroup, "memory", "system.slice"), "memory.usage_in_bytes", "total_inactive_file"),
        ("v2", os.path.join(cgroup, "system.slice"), "memory.current", "inactive_file"),
        ("v2", os.path.join(cgroup, "docker"), "memory.current", "inactive_file"),
    )
    seen = set()
    containers = []
    items = {}
    for version, parent, usage_file, inactive_key in layouts:
        try:
            names = sorted(os.listdir(parent))
        except (IOError, OSError):
            continue
        for entry in names:
            m = _CONTAINER_DIR.match(entry)
            directory = os.path.join(parent, entry)
            if not m or m.group("id") in seen:
                continue
            try:
                usage = _cgroup_value(_read(os.path.join(directory, usage_file)), usage_file)
            except (IOError, OSError, ValueError):
                continue
            container_id = m.group("id")
            seen.add(container_id)
            used = max(usage - _memory_stat(directory, inactive_key), 0)
            service, name = _container_name(docker_root, container_id)
            key = service or name
            items[key] = items.get(key, 0) + used
            containers.append({
                "id": container_id[:12], "name": name, "service": service, "bytes": used,
                "source": "cgroup %s %s - %s (%s)" % (version, usage_file, inactive_key, directory),
            })
    return {"items": items, "containers": containers}


# --------------------------------------------------------------------------------------------
# Demand


def _dig(mapping, *keys):
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def merge_compose(documents):
    """Merge Compose documents like ``docker compose -f a -f b``, as far as memory goes: later
    files override earlier ones key by key (mappings are merged, other values replaced)."""
    def merge(base, override):
        result = dict(base)
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(result.get(key), dict):
                result[key] = merge(result[key], value)
            else:
                result[key] = value
        return result
    merged = {}
    for doc in documents:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ValueError("a Compose document is not a mapping")
        merged = merge(merged, doc)
    return merged


def compose_demand(compose):
    """Memory each service of a Compose project may take; returns {service: details}.

    Per service (Compose notation): the limit, ``mem_limit`` or
    ``deploy.resources.limits.memory`` (the lower one when both are set), else the reservation,
    ``deploy.resources.reservations.memory`` or ``mem_reservation``; multiplied by ``scale`` or
    ``deploy.replicas``. A value of 0 means "not set", as in Docker. Details: ``bytes``,
    ``per_replica_bytes``, ``replicas``, ``field``
    (which key was used, None for none), ``unbounded`` (no limit: a limit-less container can
    take all the host's memory; reported with 0 bytes when it has no reservation either).
    Raises ValueError naming the service and the field when a value is not a quantity.
    """
    services = (compose or {}).get("services") or {}
    if not isinstance(services, dict):
        raise ValueError("the Compose 'services' key is not a mapping")
    result = {}
    for name, spec in services.items():
        spec = spec or {}
        fields = (
            ("mem_limit", spec.get("mem_limit"), "limit"),
            ("deploy.resources.limits.memory", _dig(spec, "deploy", "resources", "limits", "memory"), "limit"),
            ("deploy.resources.reservations.memory",
             _dig(spec, "deploy", "resources", "reservations", "memory"), "reservation"),
            ("mem_reservation", spec.get("mem_reservation"), "reservation"),
        )
        parsed = []
        for field, raw, kind in fields:
            if raw is None:
                continue
            try:
                value = parse_quantity(raw, "compose")
            except ValueError as exc:
                raise ValueError("service %r, %s: %s" % (name, field, exc))
            if value > 0:  # Docker reads 0 as "not set"
                parsed.append((field, value, kind))
        limits = [p for p in parsed if p[2] == "limit"]
        chosen = min(limits, key=lambda p: p[1]) if limits else (parsed[0] if parsed else (None, 0, None))
        replicas = spec.get("scale", _dig(spec, "deploy", "replicas"))
        replicas = 1 if replicas is None else replicas
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ValueError("service %r: invalid replica count %r" % (name, replicas))
        result[name] = {
            "bytes": chosen[1] * replicas,
            "per_replica_bytes": chosen[1],
            "replicas": replicas,
            "field": chosen[0],
            "unbounded": not limits,
        }
    return result


_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Pod", "Job", "CronJob")


def _container_memory(container, where, warnings):
    resources = container.get("resources") or {}
    values = {}
    for kind in ("requests", "limits"):
        raw = _dig(resources, kind, "memory")
        if raw is None:
            values[kind] = None
            continue
        try:
            values[kind] = parse_quantity(raw, "k8s")
        except ValueError as exc:
            raise ValueError("%s, %s.memory: %s" % (where, kind, exc))
        if isinstance(raw, str) and raw.strip().endswith("m"):
            warnings.append("%s: %s.memory %r is %s in Kubernetes notation (milli); did you mean %si?"
                            % (where, kind, raw, "%d byte(s)" % values[kind], raw.strip()[:-1] + "M"))
    # Kubernetes defaults a missing request to the limit.
    if values["requests"] is None:
        values["requests"] = values["limits"]
    return values["requests"], values["limits"]


def _pod_total(containers, init_containers, overhead, index):
    """Effective pod value (Kubernetes resourcehelper.PodRequests/PodLimits rule) for one
    resource; ``index`` 0 = request, 1 = limit. None (unbounded) for limits when any container
    that matters has none."""
    def value(entry):
        return entry[index]
    total = 0
    unbounded = False
    for c in containers:
        if value(c) is None:
            unbounded = True
        else:
            total += value(c)
    sidecars = 0
    init_peak = 0
    for c in init_containers:
        v = value(c)
        if v is None:
            unbounded = True
            v = 0
        if c[2]:  # restartPolicy Always: a sidecar keeps running next to the app containers
            total += v
            sidecars += v
            peak = sidecars
        else:
            peak = v + sidecars
        init_peak = max(init_peak, peak)
    total = max(total, init_peak) + overhead
    if index == 1 and unbounded:
        return None
    return total


def _replicas(kind, spec):
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        replicas = spec.get("replicas", 1)
    elif kind == "Job":
        replicas = spec.get("parallelism", 1)
        if spec.get("completions") is not None:
            replicas = min(replicas, spec["completions"])
    else:
        replicas = 1
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ValueError("invalid replica count %r" % (replicas,))
    return replicas


def _flatten(objects):
    for obj in objects or []:
        if not isinstance(obj, dict):
            raise ValueError("a manifest is not a mapping: %r" % (obj,))
        if obj.get("kind") == "List" or (str(obj.get("kind", "")).endswith("List") and "items" in obj):
            yield from _flatten(obj.get("items"))
        else:
            yield obj


def manifest_demand(objects):
    """Memory requests and limits of Kubernetes workloads; returns {"Kind/[namespace/]name": details}.

    Handles Deployment, StatefulSet, ReplicaSet (times ``replicas``, default 1), DaemonSet (one pod
    on this node), Pod, Job (times ``parallelism`` capped by ``completions``), CronJob (one job at a
    time) and ``List`` objects; other kinds are ignored. A missing request defaults to the limit.
    The pod's value follows the scheduler: the larger of the sum of the app containers (plus
    sidecars, i.e. init containers with ``restartPolicy: Always``) and the peak of the init
    containers (each plus the sidecars started before it), plus ``spec.overhead``. Details:
    ``containers`` (name, init, sidecar, request_bytes, limit_bytes), ``pod_request_bytes``,
    ``pod_limit_bytes`` (None when a container has no limit), ``replicas``, ``request_bytes``,
    ``limit_bytes``, ``bytes`` (the limit when bounded, else the request), ``unbounded`` and
    ``warnings`` (e.g. a ``768m`` that is 0.768 bytes). Rolling-update surge pods are not counted.
    """
    result = {}
    for obj in _flatten(objects):
        kind = obj.get("kind")
        if kind not in _WORKLOAD_KINDS:
            continue
        meta = obj.get("metadata") or {}
        key = "/".join(str(p) for p in (kind, meta.get("namespace"), meta.get("name")) if p)
        spec = obj.get("spec") or {}
        try:
            replicas = _replicas(kind, spec)
            if kind == "CronJob":
                job_spec = _dig(spec, "jobTemplate", "spec") or {}
                replicas = _replicas("Job", job_spec)
                pod_spec = _dig(job_spec, "template", "spec")
            elif kind == "Pod":
                pod_spec = spec
            else:
                pod_spec = _dig(spec, "template", "spec")
            pod_spec = pod_spec or {}
            warnings = []
            rows = []
            entries = []
            for init, containers in ((True, pod_spec.get("initContainers")), (False, pod_spec.get("containers"))):
                for c in containers or []:
                    where = "%s container %r" % ("init" if init else "app", c.get("name"))
                    request, limit = _container_memory(c, where, warnings)
                    sidecar = init and c.get("restartPolicy") == "Always"
                    rows.append({"name": c.get("name"), "init": init, "sidecar": sidecar,
                                 "request_bytes": request, "limit_bytes": limit})
                    entries.append((request, limit, sidecar, init))
            overhead_raw = _dig(pod_spec, "overhead", "memory")
            overhead = parse_quantity(overhead_raw, "k8s") if overhead_raw is not None else 0
        except ValueError as exc:
            raise ValueError("%s: %s" % (key, exc))
        app = [(r or 0, lim, s) for r, lim, s, i in entries if not i]
        init = [(r or 0, lim, s) for r, lim, s, i in entries if i]
        pod_request = _pod_total(app, init, overhead, 0)
        pod_limit = _pod_total(app, init, overhead, 1)
        request = pod_request * replicas
        limit = None if pod_limit is None else pod_limit * replicas
        result[key] = {
            "kind": kind, "name": meta.get("name"), "namespace": meta.get("namespace"),
            "replicas": replicas, "containers": rows,
            "pod_request_bytes": pod_request, "pod_limit_bytes": pod_limit,
            "request_bytes": request, "limit_bytes": limit,
            "bytes": request if limit is None else limit,
            "unbounded": limit is None, "warnings": warnings,
        }
    return result


def validate_footprints(footprints):
    """Check a table of measured footprints; return {name: {bytes, source, covers}}.

    Each entry is a mapping with ``source`` (where the measurement comes from: required, so that
    no number is ever made up), either ``bytes`` (an integer) or ``quantity`` (Kubernetes
    notation, no milli), and optionally ``covers``: the measured process/container names this
    component is (default: its own name), so what already runs is not counted twice. Other keys
    are kept as they are. Raises ValueError naming the entry.
    """
    if footprints is None:
        return {}
    if not isinstance(footprints, dict):
        raise ValueError("the footprints are not a mapping of name to entry")
    result = {}
    for name, entry in footprints.items():
        if not isinstance(entry, dict):
            raise ValueError("footprint %r is not a mapping" % (name,))
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ValueError("footprint %r has no 'source': only measured footprints may be used" % (name,))
        if ("bytes" in entry) == ("quantity" in entry):
            raise ValueError("footprint %r needs exactly one of 'bytes' and 'quantity'" % (name,))
        try:
            if "bytes" in entry:
                if isinstance(entry["bytes"], bool) or not isinstance(entry["bytes"], int):
                    raise ValueError("'bytes' %r is not an integer" % (entry["bytes"],))
                value = parse_quantity(entry["bytes"])
            else:
                value = parse_quantity(entry["quantity"], "k8s", allow_milli=False)
        except ValueError as exc:
            raise ValueError("footprint %r: %s" % (name, exc))
        covers = entry.get("covers", [name])
        if isinstance(covers, str) or not isinstance(covers, (list, tuple)):
            raise ValueError("footprint %r: 'covers' is not a list of names" % (name,))
        checked = dict(entry)
        checked.update({"bytes": value, "source": source, "covers": [str(c) for c in covers]})
        checked.pop("quantity", None)
        result[name] = checked
    return result


# --------------------------------------------------------------------------------------------
# Verdict


def _check_items(items, what):
    checked = {}
    for name, value in (items or {}).items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("%s item %r: %r is not a non-negative byte count" % (what, name, value))
        checked[name] = value
    return checked


def headroom(capacity_bytes, used_items=None, demand_items=None, os_reserve_bytes=0, eviction_bytes=0,
             min_free_bytes=0, warn_free_bytes=DEFAULT_WARN_FREE, aliases=None, capacity_source=None):
    """Will the plan fit? All sizes are bytes.

    ``used_items`` ({name: bytes}) is what already runs on the host and keeps running (measured).
    ``demand_items`` ({name: bytes}) is what the plan will run there. An item that is both (e.g.
    k3s already installed and also part of the plan) is counted once, at the larger of the two;
    ``aliases`` ({used name: demand name}) says which used names are the same component as a
    demand item (e.g. the ``k3s-server`` process is the ``k3s`` component); several used names
    of one component are summed first.

        committed = sum over all names of max(used, demand)
        headroom  = capacity - os_reserve - eviction - committed

    Verdict: ``fail`` when headroom < ``min_free_bytes``, ``warn`` when headroom <
    ``warn_free_bytes``, else ``ok``. ``message`` states the numbers in MiB and, on fail, what
    to change.
    """
    for label, value in (("capacity", capacity_bytes), ("os_reserve", os_reserve_bytes),
                         ("eviction", eviction_bytes), ("min_free", min_free_bytes),
                         ("warn_free", warn_free_bytes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("%s %r is not a non-negative byte count" % (label, value))
    used = _check_items(used_items, "used")
    demand = _check_items(demand_items, "demand")
    aliases = aliases or {}
    used_by_component = {}
    for name, value in used.items():
        component = aliases.get(name, name)
        used_by_component[component] = used_by_component.get(component, 0) + value
    committed = {}
    for name in sorted(set(used_by_component) | set(demand)):
        u = used_by_component.get(name, 0)
        d = demand.get(name, 0)
        committed[name] = {"bytes": max(u, d), "used_bytes": u, "demand_bytes": d,
                           "counted": "demand" if d >= u and name in demand else "used"}
    used_total = sum(used.values())
    demand_total = sum(demand.values())
    committed_total = sum(c["bytes"] for c in committed.values())
    free = capacity_bytes - os_reserve_bytes - eviction_bytes - committed_total
    if free < min_free_bytes:
        verdict = "fail"
    elif free < warn_free_bytes:
        verdict = "warn"
    else:
        verdict = "ok"
    message = "%s: capacity %s%s - OS reserve %s - eviction threshold %s - committed %s " \
              "(running %s, planned %s, each component counted once) = headroom %s" % (
                  verdict.upper(), _mib_text(capacity_bytes),
                  " (from %s)" % _SOURCE_TEXT.get(capacity_source, capacity_source) if capacity_source else "",
                  _mib_text(os_reserve_bytes), _mib_text(eviction_bytes), _mib_text(committed_total),
                  _mib_text(used_total), _mib_text(demand_total), _mib_text(free))
    if verdict == "fail":
        needed = capacity_bytes - free + min_free_bytes
        host = "a 2 GB host" if needed <= 2 * GiB else "a host with at least %s" % _mib_text(needed)
        message += ", below the minimum of %s. It does not fit: %s short. Use a smaller profile " \
                   "(the low-memory profile), add swap or zram, move to %s, or keep Compose " \
                   "on this host." % (_mib_text(min_free_bytes), _mib_text(min_free_bytes - free), host)
    elif verdict == "warn":
        message += ", below the warning level of %s." % _mib_text(warn_free_bytes)
    else:
        message += "."
    return {
        "capacity_bytes": capacity_bytes,
        "capacity_source": capacity_source,
        "os_reserve_bytes": os_reserve_bytes,
        "eviction_bytes": eviction_bytes,
        "used": {"total_bytes": used_total, "items": used},
        "demand": {"total_bytes": demand_total, "items": demand},
        "committed": {"total_bytes": committed_total, "items": committed},
        "headroom_bytes": free,
        "headroom_mib": to_mib(free) if free >= 0 else -to_mib(-free),
        "min_free_bytes": min_free_bytes,
        "warn_free_bytes": warn_free_bytes,
        "verdict": verdict,
        "message": message,
    }
