import json
import os
import shutil

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.investment.orchestration.plugins.modules import node_memory_headroom

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures")
MiB = 1024 ** 2
GiB = 1024 ** 3
HOST_MEMTOTAL = 24684096 * 1024  # the captured /proc/meminfo: a 24 GB host

FOOTPRINTS = {
    # Test data, not measurements: the real table comes from the lead.
    "k3s": {"quantity": "500Mi", "source": "unit test", "covers": ["k3s-server", "containerd"]},
    "traefik": {"bytes": 64 * MiB, "source": "unit test"},
}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def write(path, text):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "w") as f:
        f.write(text)


@pytest.fixture
def host(tmp_path):
    """A fake /proc and /sys: a 24 GB host, a container limited to 1 GiB (cgroup v2, private
    namespace), dockerd and containerd running."""
    proc, sys_ = tmp_path / "proc", tmp_path / "sys"
    write(proc / "meminfo", fixture("meminfo.txt"))
    write(proc / "self/cgroup", "0::/\n")
    for pid, name in (("310", "dockerd"), ("322", "containerd")):
        write(proc / pid / "comm", name + "\n")
        write(proc / pid / "status", fixture("status_%s.txt" % name))
    write(proc / "2/comm", "kthreadd\n")
    write(proc / "2/status", fixture("status_kthreadd.txt"))
    write(sys_ / "fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
    write(sys_ / "fs/cgroup/memory.max", fixture("cgroup_v2_max_1g.txt"))
    return tmp_path


def run(host, capsys, **args):
    args.setdefault("proc_root", str(host / "proc"))
    args.setdefault("sys_root", str(host / "sys"))
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            node_memory_headroom.main()
    result = json.loads(capsys.readouterr().out)
    result["rc"] = exc.value.code
    return result


DOCKERD = 103772 * 1024
CONTAINERD = 45272 * 1024


def test_capacity_is_the_cgroup_limit_in_a_1g_container(host, capsys):
    result = run(host, capsys)
    assert result["rc"] == 0 and not result.get("failed")
    assert result["changed"] is False
    assert result["capacity_source"] == "cgroup"
    facts = result["headroom"]
    assert facts["capacity_bytes"] == 1024 * MiB
    assert facts["capacity"]["meminfo_total_bytes"] == HOST_MEMTOTAL
    assert facts["capacity"]["cgroup_file"] == str(host / "sys/fs/cgroup/memory.max")
    assert facts["used"]["items"] == {"dockerd": DOCKERD, "containerd": CONTAINERD}
    assert facts["headroom_bytes"] == GiB - 128 * MiB - 100 * MiB - DOCKERD - CONTAINERD
    assert result["verdict"] == "ok"
    assert "capacity 1024 MiB (from the cgroup limit)" in result["message"]


def test_cgroup_v1_docker_container(host, capsys):
    shutil.rmtree(str(host / "sys"))
    write(host / "sys/fs/cgroup/memory/memory.limit_in_bytes", fixture("cgroup_v1_limit_1g.txt"))
    write(host / "proc/self/cgroup", fixture("proc_self_cgroup_docker_v1.txt"))
    result = run(host, capsys)
    assert (result["capacity_source"], result["headroom"]["capacity_bytes"]) == ("cgroup", GiB)


def test_unlimited_host_uses_memtotal(host, capsys):
    write(host / "sys/fs/cgroup/memory.max", fixture("cgroup_v2_max_unlimited.txt"))
    result = run(host, capsys)
    assert result["capacity_source"] == "meminfo"
    assert result["headroom"]["capacity_bytes"] == HOST_MEMTOTAL
    assert result["headroom"]["capacity"]["cgroup_limit_bytes"] is None


def test_fail_verdict_fails_the_module(host, capsys):
    # 1024 - 128 - 100 - (k3s 500 covering containerd, traefik 64, dockerd 101.3, backend 256) < 0
    args = dict(footprints=FOOTPRINTS, components=["k3s", "traefik"], extra_demand={"backend": "256Mi"})
    result = run(host, capsys, **args)
    assert result["rc"] == 1 and result["failed"] is True
    assert result["verdict"] == "fail"
    assert result["msg"] == result["message"]
    assert result["msg"].startswith("FAIL: capacity 1024 MiB (from the cgroup limit)")
    assert "a 2 GB host" in result["msg"] and "keep Compose" in result["msg"]
    committed = result["headroom"]["committed"]
    # containerd runs (44.2 MiB) and is covered by the k3s footprint: counted once, inside k3s
    assert committed["items"]["k3s"] == {"bytes": 500 * MiB, "used_bytes": CONTAINERD,
                                         "demand_bytes": 500 * MiB, "counted": "demand"}
    assert "containerd" not in committed["items"]
    assert committed["total_bytes"] == 500 * MiB + 64 * MiB + 256 * MiB + DOCKERD

    never = run(host, capsys, fail_on="never", **args)
    assert never["rc"] == 0 and not never.get("failed")
    assert never["verdict"] == "fail" and never["message"] == result["message"]


def test_check_mode_gives_the_same_answer(host, capsys):
    args = dict(footprints=FOOTPRINTS, components=["traefik"])
    normal = run(host, capsys, **args)
    checked = run(host, capsys, _ansible_check_mode=True, **args)
    assert checked["rc"] == 0 and checked["changed"] is False
    assert checked["headroom"] == normal["headroom"]
    assert checked["verdict"] == "ok"


def test_compose_files_and_measured_containers(host, capsys, monkeypatch):
    # Once a controller-side module is imported, AnsibleModule.warn goes to Display instead of
    # the result, so record the calls.
    warned = []
    monkeypatch.setattr(node_memory_headroom.AnsibleModule, "warn", lambda self, msg, **kw: warned.append(msg))
    write(host / "compose.yml", fixture("compose.yml"))
    # mem_limit 0 is Docker's "no limit": jenkins keeps its deploy limit of 384m
    write(host / "override.yml", yaml.safe_dump({"services": {"jenkins": {"mem_limit": "0"}}}))
    container = "a05239065fecf715b80027f234f1054868cc799b6bb0b71e31eac490fd9731fb"
    cg = host / "sys/fs/cgroup/system.slice" / ("docker-%s.scope" % container)
    write(cg / "memory.current", str(300 * MiB) + "\n")
    write(cg / "memory.stat", "anon 209715200\ninactive_file 104857600\n")
    write(host / "docker/containers" / container / "config.v2.json",
          json.dumps({"Name": "/investment-data-timescaledb-1",
                      "Config": {"Labels": {"com.docker.compose.service": "timescaledb"}}}))
    write(host / "sys/fs/cgroup/memory.max", "max\n")
    result = run(host, capsys, compose_files=[str(host / "compose.yml"), str(host / "override.yml")],
                 measure_compose=True, docker_root=str(host / "docker"), processes=["dockerd"])
    facts = result["headroom"]
    assert facts["demand"]["items"] == {
        "timescaledb": 256 * MiB, "redis": 64 * MiB, "backend": 128 * MiB, "prediction-service": 96 * MiB,
        "data-collector": 192 * MiB, "jenkins": 384 * MiB, "nginx": 0}
    assert facts["used"]["items"] == {"dockerd": DOCKERD, "timescaledb": 200 * MiB}
    # the running timescaledb (200 MiB) is the planned one (256 MiB): counted once
    assert facts["committed"]["items"]["timescaledb"]["bytes"] == 256 * MiB
    assert facts["committed"]["total_bytes"] == (256 + 64 + 128 + 96 + 192 + 384) * MiB + DOCKERD
    assert facts["unbounded"] == ["nginx", "prediction-service"]
    assert "Without a memory limit (counted at their reservation, or 0): nginx, prediction-service" in result["message"]
    assert any("nginx, prediction-service" in w for w in warned)
    assert facts["details"]["containers"][0]["source"].startswith("cgroup v2 memory.current - inactive_file")
    assert facts["details"]["compose"]["jenkins"]["field"] == "deploy.resources.limits.memory"


def test_manifests(host, capsys):
    manifests = yaml.safe_load(fixture("manifests.yml"))["items"]
    result = run(host, capsys, manifests=manifests, processes=[], fail_on="never")
    items = result["headroom"]["demand"]["items"]
    assert items["Deployment/investment/backend"] == 512 * MiB
    assert items["Pod/with-sidecar"] == 250 * MiB
    assert result["headroom"]["demand"]["total_bytes"] == (512 + 384 + 64 + 64 + 250) * MiB
    assert result["verdict"] == "fail"
    assert result["headroom"]["unbounded"] == ["Pod/with-sidecar"]


@pytest.mark.parametrize("args,message", [
    (dict(footprints={"k3s": {"quantity": "500Mi"}}), "footprint 'k3s' has no 'source'"),
    (dict(footprints=FOOTPRINTS, components=["k3s", "rancher"]), "component 'rancher' has no measured footprint"),
    (dict(os_reserve="128m"), "os_reserve: invalid memory quantity '128m'"),
    (dict(extra_demand={"x": "lots"}), "extra_demand 'x': invalid memory quantity 'lots'"),
    (dict(footprints=FOOTPRINTS, components=["traefik"], extra_demand={"traefik": "1Mi"}),
     "demand item 'traefik' comes from both footprints and extra_demand"),
    (dict(compose_files=["/nonexistent/compose.yml"]), "cannot read Compose file /nonexistent/compose.yml"),
])
def test_bad_input_fails_clearly(host, capsys, args, message):
    result = run(host, capsys, **args)
    assert result["rc"] == 1 and result["failed"] is True
    assert message in result["msg"]


def test_compose_files_need_pyyaml(host, capsys, monkeypatch):
    monkeypatch.setattr(node_memory_headroom, "HAS_YAML", False)
    result = run(host, capsys, compose_files=[str(host / "compose.yml")])
    assert result["failed"] is True and "PyYAML" in result["msg"]
    assert result["rc"] == 1


def test_missing_meminfo(host, capsys):
    os.remove(str(host / "proc/meminfo"))
    result = run(host, capsys)
    assert result["failed"] is True and "meminfo" in result["msg"]
