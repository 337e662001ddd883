import json
import os

import pytest
import yaml

from ansible_collections.investment.orchestration.plugins.module_utils.memory import (
    GiB,
    KiB,
    MiB,
    capacity,
    compose_demand,
    format_quantity,
    headroom,
    manifest_demand,
    merge_compose,
    parse_quantity,
    process_rss,
    read_cgroup_limit,
    read_meminfo,
    scan_cgroup_limit,
    scan_compose_containers,
    scan_proc,
    to_mib,
    validate_footprints,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


# ---------------------------------------------------------------------------------- quantities

K8S = [
    ("512Mi", 512 * MiB),
    ("1Gi", GiB),
    ("1.5Gi", 1610612736),
    ("64Ki", 64 * KiB),
    ("1Ti", 1024 ** 4),
    ("1Ei", 1024 ** 6),
    ("100M", 100 * 10 ** 6),
    ("1G", 10 ** 9),
    ("500k", 500000),
    ("1T", 10 ** 12),
    ("1P", 10 ** 15),
    ("1E", 10 ** 18),          # a bare E is exa
    ("2e9", 2 * 10 ** 9),      # e<n> is an exponent
    ("1E3", 1000),             # so is E<n>
    ("1e+3", 1000),
    ("5e-1", 1),               # 0.5 byte, rounded up like Quantity.Value()
    ("768m", 1),               # milli: 0.768 byte
    ("1500m", 2),
    ("0.5Ki", 512),
    (".5Mi", 512 * KiB),
    ("1.", 1),
    ("+1Ki", 1024),
    ("1024", 1024),
    (" 256Mi ", 256 * MiB),
    ("0", 0),
    (1073741824, GiB),
    (0, 0),
    (1.5, 2),
]

COMPOSE = [
    ("768m", 768 * MiB),
    ("768M", 768 * MiB),
    ("1g", GiB),
    ("1G", GiB),
    ("1gb", GiB),
    ("1GB", GiB),
    ("512mb", 512 * MiB),
    ("64k", 64 * KiB),
    ("64KiB", 64 * KiB),
    ("1024b", 1024),
    ("1024B", 1024),
    ("512Mi", 512 * MiB),
    ("1.5g", 1610612736),
    ("0.5k", 512),
    ("1 m", MiB),
    ("1t", 1024 ** 4),
    ("2e9", 2 * 10 ** 9),
    ("1024", 1024),
    (268435456, 256 * MiB),
    (1.9, 1),                  # truncated, as units.RAMInBytes does
]

MALFORMED = ["12Qi", "abc", "-1Gi", "", "   ", None, "1.5.5Gi", "Gi", "1 Gi x", True, "-1", [], {}, -5,
             float("nan"), "1e", "0x10"]
MALFORMED_K8S_ONLY = ["1gb", "512mb", "1g", "1Mib", "64KiB", "1 m"]
MALFORMED_COMPOSE_ONLY = ["1Ki5", "1ib", "1e3m5", "+1k", "1mbb", "1E"]


@pytest.mark.parametrize("value,expected", K8S)
def test_kubernetes_quantities(value, expected):
    assert parse_quantity(value) == expected
    assert parse_quantity(value, "k8s") == expected


@pytest.mark.parametrize("value,expected", COMPOSE)
def test_compose_quantities(value, expected):
    assert parse_quantity(value, "compose") == expected


def test_the_m_clash():
    assert parse_quantity("768m", "k8s") == 1
    assert parse_quantity("768M", "k8s") == 768 * 10 ** 6
    assert parse_quantity("768m", "compose") == parse_quantity("768M", "compose") == 768 * MiB


@pytest.mark.parametrize("flavor", ["k8s", "compose"])
@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_quantities_quote_the_value(value, flavor):
    with pytest.raises(ValueError) as exc:
        parse_quantity(value, flavor)
    assert repr(value) in str(exc.value)


@pytest.mark.parametrize("value", MALFORMED_K8S_ONLY)
def test_docker_forms_are_not_kubernetes_quantities(value):
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(value, "k8s")
    assert parse_quantity(value, "compose") > 0


@pytest.mark.parametrize("value", MALFORMED_COMPOSE_ONLY)
def test_malformed_compose_sizes(value):
    with pytest.raises(ValueError, match="invalid memory quantity"):
        parse_quantity(value, "compose")


def test_milli_can_be_refused():
    with pytest.raises(ValueError, match="'768m'.*milli.*Mi"):
        parse_quantity("768m", allow_milli=False)
    assert parse_quantity("768Mi", allow_milli=False) == 768 * MiB


def test_unknown_flavor():
    with pytest.raises(ValueError, match="unknown quantity flavor 'docker'"):
        parse_quantity("1g", "docker")


@pytest.mark.parametrize("value,unit,expected", [
    (512 * MiB, "Mi", "512Mi"),
    (1610612736, "Gi", "1.5Gi"),
    (GiB, "Gi", "1Gi"),
    (GiB, "Mi", "1024Mi"),
    (GiB, "Ki", "1048576Ki"),
    (10 ** 9, "Mi", "953.6Mi"),      # 953.674... rounded down
    (1000000, "Mi", "0.9Mi"),
    (1023, "Ki", "0.9Ki"),
    (1, "Mi", "0.0Mi"),
    (0, "Mi", "0Mi"),
    (-104 * MiB, "Mi", "-104Mi"),
    (-(MiB + MiB // 2), "Mi", "-1.5Mi"),
])
def test_format_quantity(value, unit, expected):
    assert format_quantity(value, unit) == expected


def test_format_quantity_round_trips():
    for value in (512 * MiB, 1610612736, 3 * GiB):
        assert parse_quantity(format_quantity(value, "Gi" if value % GiB == 0 else "Mi")) == value


@pytest.mark.parametrize("value,unit", [("512", "Mi"), (1.5, "Mi"), (True, "Mi"), (1, "MB"), (1, "m")])
def test_format_quantity_rejects(value, unit):
    with pytest.raises(ValueError):
        format_quantity(value, unit)


def test_to_mib():
    assert to_mib("1Gi") == 1024 and isinstance(to_mib("1Gi"), int)
    assert to_mib("768m", "compose") == 768
    assert to_mib("100M") == 95.3
    assert to_mib("1.5Mi") == 1.5
    with pytest.raises(ValueError, match="'nope'"):
        to_mib("nope")


# ---------------------------------------------------------------------------------- /proc, /sys

def test_read_meminfo_from_a_real_proc_meminfo():
    info = read_meminfo(fixture("meminfo.txt"))
    assert info == {"MemTotal": 24684096 * KiB, "MemAvailable": 23160924 * KiB, "SwapTotal": 0, "SwapFree": 0}


def test_read_meminfo_old_kernel_with_swap():
    text = "MemTotal:        1009384 kB\nMemFree:          81244 kB\nSwapTotal:       2097148 kB\nSwapFree:        2000000 kB\n"
    assert read_meminfo(text) == {"MemTotal": 1009384 * KiB, "MemAvailable": None,
                                  "SwapTotal": 2097148 * KiB, "SwapFree": 2000000 * KiB}


def test_read_meminfo_without_memtotal():
    with pytest.raises(ValueError, match="MemTotal"):
        read_meminfo("MemFree: 1 kB\n")


def test_cgroup_limits():
    assert read_cgroup_limit(v1_limit_text=fixture("cgroup_v1_limit_unlimited.txt")) is None
    assert read_cgroup_limit(v1_limit_text=fixture("cgroup_v1_limit_1g.txt")) == GiB
    assert read_cgroup_limit(v2_max_text=fixture("cgroup_v2_max_unlimited.txt")) is None
    assert read_cgroup_limit(v2_max_text=fixture("cgroup_v2_max_1g.txt")) == GiB
    assert read_cgroup_limit(v1_limit_text="9223372036854710272\n") is None  # 64 KiB pages
    assert read_cgroup_limit("2147483648", "1073741824") == GiB
    assert read_cgroup_limit() is None
    with pytest.raises(ValueError, match="memory.max"):
        read_cgroup_limit(v2_max_text="lots")


def test_capacity_takes_the_lower():
    meminfo = read_meminfo(fixture("meminfo.txt"))
    assert capacity(meminfo, GiB) == {"bytes": GiB, "source": "cgroup",
                                      "meminfo_total_bytes": 24684096 * KiB, "cgroup_limit_bytes": GiB}
    assert capacity(meminfo, None)["source"] == "meminfo"
    assert capacity(meminfo, None)["bytes"] == 24684096 * KiB
    assert capacity(meminfo, 64 * GiB)["source"] == "meminfo"


def write(path, text):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "w") as f:
        f.write(text)


def test_cgroup_v2_private_namespace_limit_at_the_root(tmp_path):
    write(tmp_path / "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n")
    write(tmp_path / "sys/fs/cgroup/memory.max", fixture("cgroup_v2_max_1g.txt"))
    write(tmp_path / "proc/self/cgroup", "0::/\n")
    limit, path = scan_cgroup_limit(str(tmp_path / "sys"), str(tmp_path / "proc"))
    assert limit == GiB
    assert path == str(tmp_path / "sys/fs/cgroup/memory.max")


def test_cgroup_v2_host_namespace_walks_the_ancestors(tmp_path):
    write(tmp_path / "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n")
    write(tmp_path / "sys/fs/cgroup/system.slice/memory.max", "2147483648\n")
    write(tmp_path / "sys/fs/cgroup/system.slice/app.service/memory.max", "max\n")
    write(tmp_path / "proc/self/cgroup", "0::/system.slice/app.service\n")
    limit, path = scan_cgroup_limit(str(tmp_path / "sys"), str(tmp_path / "proc"))
    assert (limit, path) == (2 * GiB, str(tmp_path / "sys/fs/cgroup/system.slice/memory.max"))


def test_cgroup_v1_docker_bind_mount(tmp_path):
    # What a `docker run -m 1g` container sees on a cgroup v1 host: /proc/self/cgroup names
    # /docker/<id>, but the memory hierarchy is mounted at the container's own cgroup.
    write(tmp_path / "sys/fs/cgroup/memory/memory.limit_in_bytes", fixture("cgroup_v1_limit_1g.txt"))
    write(tmp_path / "proc/self/cgroup", fixture("proc_self_cgroup_docker_v1.txt"))
    assert scan_cgroup_limit(str(tmp_path / "sys"), str(tmp_path / "proc"))[0] == GiB


def test_cgroup_v1_unlimited_and_none(tmp_path):
    write(tmp_path / "sys/fs/cgroup/memory/memory.limit_in_bytes", fixture("cgroup_v1_limit_unlimited.txt"))
    write(tmp_path / "proc/self/cgroup", "4:memory:/\n0::/\n")
    assert scan_cgroup_limit(str(tmp_path / "sys"), str(tmp_path / "proc")) == (None, None)
    assert scan_cgroup_limit(str(tmp_path / "nosys"), str(tmp_path / "noproc")) == (None, None)


def test_process_rss_from_status_texts():
    entries = [
        ("dockerd", fixture("status_dockerd.txt")),
        ("containerd", fixture("status_containerd.txt")),
        ("containerd", fixture("status_containerd.txt")),
        ("kthreadd", fixture("status_kthreadd.txt")),
        ("containerd-shim-runc-v2", fixture("status_containerd.txt")),
        ("/usr/local/bin/k3s\0server\0", "Name:\tk3s\nVmRSS:\t  300000 kB\n"),
        ("kubelet", fixture("status_kthreadd.txt")),  # no VmRSS: skipped
    ]
    assert process_rss(entries) == {"dockerd": 103772 * KiB, "containerd": 2 * 45272 * KiB, "k3s": 300000 * KiB}
    assert process_rss(entries, names=["dockerd"]) == {"dockerd": 103772 * KiB}


def test_process_rss_from_a_dict():
    assert process_rss({"k3s-server": 512000, "containerd": [1000, 24], "bash": 4000}) == {
        "k3s-server": 512000 * KiB, "containerd": 1024 * KiB}


def fake_proc(root):
    write(root / "meminfo", fixture("meminfo.txt"))
    write(root / "self/cgroup", "0::/\n")
    for pid, comm, status in [("1", "systemd", "Name:\tsystemd\nVmRSS:\t  12000 kB\n"),
                              ("2", "kthreadd", fixture("status_kthreadd.txt")),
                              ("310", "dockerd", fixture("status_dockerd.txt")),
                              ("322", "containerd", fixture("status_containerd.txt")),
                              ("900", "k3s-server", "Name:\tk3s-server\nVmRSS:\t  409600 kB\n")]:
        write(root / pid / "comm", comm + "\n")
        write(root / pid / "status", status)
    write(root / "4242/comm", "dockerd\n")  # exited before its status was read
    write(root / "self/comm", "python3\n")


def test_scan_proc_reads_a_proc_tree(tmp_path):
    fake_proc(tmp_path)
    entries = scan_proc(str(tmp_path), names=["dockerd", "containerd", "k3s-server", "kthreadd"])
    assert [e[0] for e in entries] == ["kthreadd", "dockerd", "containerd", "k3s-server"]
    assert process_rss(entries) == {"dockerd": 103772 * KiB, "containerd": 45272 * KiB, "k3s-server": 400 * MiB}
    assert len(scan_proc(str(tmp_path))) == 5
    assert scan_proc(str(tmp_path / "missing")) == []


CONTAINER_ID = "a05239065fecf715b80027f234f1054868cc799b6bb0b71e31eac490fd9731fb"
OTHER_ID = "87d02760ac82ef3ffa401078c4e62768ee12b356633ee289d68fe6af22d94568"


def test_scan_compose_containers_v1(tmp_path):
    cg = tmp_path / "sys/fs/cgroup/memory/docker" / CONTAINER_ID
    write(cg / "memory.usage_in_bytes", fixture("cgroup_v1_usage.txt"))
    write(cg / "memory.stat", fixture("cgroup_v1_memory.stat"))
    write(tmp_path / "sys/fs/cgroup/memory/docker/memory.usage_in_bytes", "999999999\n")  # the parent: no container
    config = {"Name": "/investment-data-redis-1",
              "Config": {"Labels": {"com.docker.compose.service": "redis", "com.docker.compose.project": "investment-data"}}}
    write(tmp_path / "docker/containers" / CONTAINER_ID / "config.v2.json", json.dumps(config))
    found = scan_compose_containers(str(tmp_path / "sys"), str(tmp_path / "docker"))
    # usage 22450176 less total_inactive_file 20971520 (a 20 MiB file read in the container)
    assert found["items"] == {"redis": 22450176 - 20971520}
    (container,) = found["containers"]
    assert container["name"] == "investment-data-redis-1" and container["service"] == "redis"
    assert container["source"].startswith("cgroup v1 memory.usage_in_bytes - total_inactive_file")


def test_scan_compose_containers_v2_systemd(tmp_path):
    slice_dir = tmp_path / "sys/fs/cgroup/system.slice"
    write(slice_dir / ("docker-%s.scope" % CONTAINER_ID) / "memory.current", "104857600\n")
    write(slice_dir / ("docker-%s.scope" % CONTAINER_ID) / "memory.stat", "anon 73400320\ninactive_file 10485760\n")
    write(slice_dir / ("docker-%s.scope" % OTHER_ID) / "memory.current", "52428800\n")
    write(slice_dir / "containerd.service/memory.current", "52428800\n")
    found = scan_compose_containers(str(tmp_path / "sys"), str(tmp_path / "docker"))
    assert found["items"] == {CONTAINER_ID[:12]: 90 * MiB, OTHER_ID[:12]: 50 * MiB}
    assert all(c["source"].startswith("cgroup v2 memory.current - inactive_file") for c in found["containers"])
    assert scan_compose_containers(str(tmp_path / "none"), str(tmp_path / "docker")) == {"items": {}, "containers": []}


# ---------------------------------------------------------------------------------- demand

def test_compose_demand():
    demand = compose_demand(yaml.safe_load(fixture("compose.yml")))
    assert demand == {
        "timescaledb": {"bytes": 256 * MiB, "per_replica_bytes": 256 * MiB, "replicas": 1,
                        "field": "mem_limit", "unbounded": False},
        "redis": {"bytes": 64 * MiB, "per_replica_bytes": 64 * MiB, "replicas": 1,
                  "field": "mem_limit", "unbounded": False},
        "backend": {"bytes": 128 * MiB, "per_replica_bytes": 128 * MiB, "replicas": 1,
                    "field": "deploy.resources.limits.memory", "unbounded": False},
        "prediction-service": {"bytes": 96 * MiB, "per_replica_bytes": 96 * MiB, "replicas": 1,
                               "field": "deploy.resources.reservations.memory", "unbounded": True},
        "data-collector": {"bytes": 192 * MiB, "per_replica_bytes": 96 * MiB, "replicas": 2,
                           "field": "mem_limit", "unbounded": False},
        "jenkins": {"bytes": 384 * MiB, "per_replica_bytes": 384 * MiB, "replicas": 1,
                    "field": "deploy.resources.limits.memory", "unbounded": False},
        "nginx": {"bytes": 0, "per_replica_bytes": 0, "replicas": 1, "field": None, "unbounded": True},
    }


def test_compose_demand_errors_name_the_service():
    with pytest.raises(ValueError, match=r"service 'api', mem_limit: invalid memory quantity '\$\{API_MEM\}'"):
        compose_demand({"services": {"api": {"mem_limit": "${API_MEM}"}}})
    with pytest.raises(ValueError, match="service 'api': invalid replica count"):
        compose_demand({"services": {"api": {"deploy": {"replicas": "two"}}}})
    assert compose_demand({}) == {}


def test_merge_compose_overrides_like_docker_compose():
    base = yaml.safe_load(fixture("compose.yml"))
    override = {"services": {"jenkins": {"deploy": {"resources": {"limits": {"memory": "1g"}}}},
                             "redis": {"mem_limit": "128m"}}}
    demand = compose_demand(merge_compose([base, None, override]))
    assert demand["jenkins"]["bytes"] == 512 * MiB  # mem_limit 512m is now the lower limit
    assert demand["redis"]["bytes"] == 128 * MiB
    assert demand["timescaledb"]["bytes"] == 256 * MiB
    with pytest.raises(ValueError, match="not a mapping"):
        merge_compose([["services"]])


def test_manifest_demand():
    objects = [yaml.safe_load(fixture("manifests.yml"))]  # a List, as kubectl prints it
    demand = manifest_demand(objects)
    assert list(demand) == ["Deployment/investment/backend", "StatefulSet/investment/timescaledb",
                            "DaemonSet/kube-system/log-shipper", "Job/investment/backfill", "Pod/with-sidecar"]
    backend = demand["Deployment/investment/backend"]
    # the migrate init container (256Mi) outweighs backend + metrics (132Mi requests, 192Mi limits)
    assert backend["pod_request_bytes"] == 256 * MiB and backend["pod_limit_bytes"] == 256 * MiB
    assert backend["replicas"] == 2
    assert backend["request_bytes"] == backend["limit_bytes"] == backend["bytes"] == 512 * MiB
    assert backend["containers"][0] == {"name": "migrate", "init": True, "sidecar": False,
                                        "request_bytes": 256 * MiB, "limit_bytes": 256 * MiB}
    assert [c["name"] for c in backend["containers"]] == ["migrate", "backend", "metrics"]
    sts = demand["StatefulSet/investment/timescaledb"]
    assert (sts["request_bytes"], sts["limit_bytes"], sts["bytes"]) == (256 * MiB, 384 * MiB, 384 * MiB)
    ds = demand["DaemonSet/kube-system/log-shipper"]
    assert (ds["request_bytes"], ds["limit_bytes"], ds["replicas"]) == (64 * MiB, 64 * MiB, 1)  # request = limit
    job = demand["Job/investment/backfill"]
    assert (job["replicas"], job["bytes"]) == (2, 64 * MiB)  # parallelism 3 capped by completions 2
    pod = demand["Pod/with-sidecar"]
    # app 100 + sidecar 50 = 150 < setup 200 + sidecar 50 = 250; setup has no limit
    assert pod["pod_request_bytes"] == 250 * MiB
    assert pod["pod_limit_bytes"] is None and pod["unbounded"] is True and pod["bytes"] == 250 * MiB


def test_manifest_demand_without_init_containers_sums_the_containers():
    dep = {"kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replicas": 3, "template": {"spec": {
               "overhead": {"memory": "10Mi"},
               "containers": [{"name": "a", "resources": {"requests": {"memory": "100Mi"}, "limits": {"memory": "1Gi"}}},
                              {"name": "b", "resources": {"requests": {"memory": "50Mi"}, "limits": {"memory": "100Mi"}}}]}}}}
    web = manifest_demand([{"kind": "List", "items": [dep]}])["Deployment/web"]
    assert web["request_bytes"] == 3 * 160 * MiB
    assert web["limit_bytes"] == 3 * (1024 + 100 + 10) * MiB


def test_manifest_demand_warns_about_milli_and_names_bad_values():
    pod = {"kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": "768m"}}}]}}
    result = manifest_demand([pod])["Pod/p"]
    assert result["limit_bytes"] == 1
    assert "'768m'" in result["warnings"][0] and "768Mi" in result["warnings"][0]
    pod["spec"]["containers"][0]["resources"]["limits"]["memory"] = "1gb"
    with pytest.raises(ValueError, match="Pod/p: app container 'c', limits.memory: invalid memory quantity '1gb'"):
        manifest_demand([pod])
    with pytest.raises(ValueError, match="not a mapping"):
        manifest_demand(["kind: Pod"])


def test_manifest_demand_cronjob_and_zero_replicas():
    cron = {"kind": "CronJob", "metadata": {"name": "nightly", "namespace": "ops"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "c", "resources": {"limits": {"memory": "128Mi"}}}]}}}}}}
    idle = {"kind": "Deployment", "metadata": {"name": "idle"},
            "spec": {"replicas": 0, "template": {"spec": {"containers": [
                {"name": "c", "resources": {"limits": {"memory": "1Gi"}}}]}}}}
    demand = manifest_demand([cron, idle])
    assert demand["CronJob/ops/nightly"]["bytes"] == 128 * MiB
    assert demand["Deployment/idle"]["bytes"] == 0


def test_validate_footprints():
    table = validate_footprints({
        "k3s": {"quantity": "450Mi", "source": "ps_mem on oracle1, 2026-01-10", "covers": ["k3s-server", "containerd"]},
        "traefik": {"bytes": 41943040, "source": "kubectl top pod, 2026-01-10"},
    })
    assert table["k3s"]["bytes"] == 450 * MiB and table["k3s"]["covers"] == ["k3s-server", "containerd"]
    assert table["traefik"] == {"bytes": 40 * MiB, "source": "kubectl top pod, 2026-01-10", "covers": ["traefik"]}
    assert validate_footprints(None) == {}


@pytest.mark.parametrize("entry,message", [
    ({"quantity": "450Mi"}, "footprint 'x' has no 'source'"),
    ({"quantity": "450Mi", "source": " "}, "has no 'source'"),
    ({"source": "measured"}, "exactly one of 'bytes' and 'quantity'"),
    ({"source": "measured", "bytes": 1, "quantity": "1Mi"}, "exactly one of"),
    ({"source": "measured", "bytes": "450Mi"}, "'bytes' '450Mi' is not an integer"),
    ({"source": "measured", "quantity": "450m"}, "milli"),
    ({"source": "measured", "quantity": "1Gi", "covers": "k3s"}, "'covers' is not a list"),
    ("450Mi", "not a mapping"),
])
def test_validate_footprints_refuses(entry, message):
    with pytest.raises(ValueError, match=message):
        validate_footprints({"x": entry})


# ---------------------------------------------------------------------------------- verdict

def test_headroom_ok():
    result = headroom(4 * GiB, {"dockerd": 100 * MiB}, {"k3s": 500 * MiB}, 128 * MiB, 100 * MiB)
    assert result["committed"]["total_bytes"] == 600 * MiB
    assert result["headroom_bytes"] == (4096 - 128 - 100 - 600) * MiB
    assert result["headroom_mib"] == 3268
    assert result["verdict"] == "ok"
    assert result["message"].startswith("OK: capacity 4096 MiB - OS reserve 128 MiB - eviction threshold 100 MiB"
                                        " - committed 600 MiB (running 100 MiB, planned 500 MiB")
    assert result["message"].endswith("= headroom 3268 MiB.")


def test_headroom_warn_and_fail_thresholds():
    # 1024 - 128 - 100 - 700 = 96 MiB: below the default warning level of 128 MiB
    warn = headroom(GiB, {}, {"k3s": 700 * MiB}, 128 * MiB, 100 * MiB, capacity_source="cgroup")
    assert warn["verdict"] == "warn" and warn["headroom_bytes"] == 96 * MiB
    assert "capacity 1024 MiB (from the cgroup limit)" in warn["message"]
    assert "below the warning level of 128 MiB" in warn["message"]
    assert headroom(GiB, {}, {"k3s": 700 * MiB}, 128 * MiB, 100 * MiB, warn_free_bytes=96 * MiB)["verdict"] == "ok"
    assert headroom(GiB, {}, {"k3s": 700 * MiB}, 128 * MiB, 100 * MiB, min_free_bytes=97 * MiB)["verdict"] == "fail"
    exact = headroom(GiB, {}, {"k3s": 796 * MiB}, 128 * MiB, 100 * MiB, warn_free_bytes=0)
    assert exact["headroom_bytes"] == 0 and exact["verdict"] == "ok"  # fail only below min_free


def test_headroom_fail_message_says_what_to_change():
    result = headroom(GiB, {"dockerd": 80 * MiB}, {"k3s": 600 * MiB, "backend": 220 * MiB}, 128 * MiB, 100 * MiB,
                      capacity_source="cgroup")
    assert result["verdict"] == "fail"
    assert result["headroom_bytes"] == (1024 - 128 - 100 - 900) * MiB
    message = result["message"]
    assert message.startswith("FAIL: capacity 1024 MiB (from the cgroup limit)")
    assert "committed 900 MiB (running 80 MiB, planned 820 MiB" in message
    assert "headroom -104 MiB, below the minimum of 0 MiB" in message
    assert "104 MiB short" in message
    for advice in ("smaller profile", "low-memory profile", "swap or zram", "a 2 GB host", "keep Compose"):
        assert advice in message
    big = headroom(2 * GiB, {}, {"jenkins": 3 * GiB}, 128 * MiB, 100 * MiB)
    assert "a host with at least 3300 MiB" in big["message"]


def test_headroom_counts_a_component_once():
    # k3s already runs (measured 420 MiB as k3s-server + 60 MiB containerd) and is in the plan (450 MiB)
    used = {"k3s-server": 420 * MiB, "containerd": 60 * MiB, "dockerd": 90 * MiB}
    demand = {"k3s": 450 * MiB, "redis": 64 * MiB}
    aliases = {"k3s-server": "k3s", "containerd": "k3s"}
    result = headroom(2 * GiB, used, demand, 128 * MiB, 100 * MiB, aliases=aliases)
    committed = result["committed"]["items"]
    assert committed["k3s"] == {"bytes": 480 * MiB, "used_bytes": 480 * MiB, "demand_bytes": 450 * MiB,
                                "counted": "used"}
    assert committed["redis"]["counted"] == "demand"
    assert committed["dockerd"] == {"bytes": 90 * MiB, "used_bytes": 90 * MiB, "demand_bytes": 0, "counted": "used"}
    assert result["committed"]["total_bytes"] == (480 + 64 + 90) * MiB
    assert result["used"]["total_bytes"] == 570 * MiB and result["demand"]["total_bytes"] == 514 * MiB
    # without the aliases nothing matches and k3s counts twice
    assert headroom(2 * GiB, used, demand)["committed"]["total_bytes"] == (570 + 514) * MiB
    # same name on both sides: the larger, once
    same = headroom(GiB, {"redis": 40 * MiB}, {"redis": 64 * MiB})
    assert same["committed"]["total_bytes"] == 64 * MiB


@pytest.mark.parametrize("args,message", [
    ((-1,), "capacity -1"),
    ((GiB, {"x": -5}), "used item 'x'"),
    ((GiB, {}, {"y": "64Mi"}), "demand item 'y'"),
    ((GiB, {}, {}, True), "os_reserve True"),
])
def test_headroom_rejects_bad_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        headroom(*args)


def test_compose_zero_is_no_limit():
    demand = compose_demand({"services": {"a": {"mem_limit": 0, "mem_reservation": "32m"}, "b": {"mem_limit": "0"}}})
    assert demand["a"] == {"bytes": 32 * MiB, "per_replica_bytes": 32 * MiB, "replicas": 1,
                           "field": "mem_reservation", "unbounded": True}
    assert demand["b"]["unbounded"] is True and demand["b"]["bytes"] == 0 and demand["b"]["field"] is None


@pytest.mark.parametrize("value,kw,expected", [
    ("256m", {"flavor": "compose", "minimum": "6m"}, ""),
    ("256 megs", {"flavor": "compose"}, "invalid memory quantity '256 megs': not a Docker/Compose size"),
    ("-256m", {"flavor": "compose"}, "invalid memory quantity '-256m'"),
    ("0", {"flavor": "compose", "minimum": "6m"}, "'0' is 0 bytes, less than the minimum 6m"),
    ("128Mi", {"allow_milli": False}, ""),
    ("128m", {"allow_milli": False}, "invalid memory quantity '128m'"),
    (None, {}, "invalid memory quantity None: not a number or a string"),
])
def test_quantity_error(value, kw, expected):
    from ansible_collections.investment.orchestration.plugins.module_utils.memory import quantity_error
    got = quantity_error(value, **kw)
    assert got.startswith(expected) and (expected or got == "")
