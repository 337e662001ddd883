"""compose_to_k8s: the other spellings Compose allows (environment as a list, healthcheck as a
string, long port syntax, working_dir, read-only named volumes) and a storage class."""
import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.compose_k8s import (
    ConversionError,
    convert,
)


def _project(**spec):
    spec.setdefault("image", "reg/app:1")
    return {"name": "p", "services": {"app": spec}}


def _container(objs):
    dep = next(o for o in objs if o["kind"] == "Deployment")
    return dep["spec"]["template"]["spec"]["containers"][0]


def test_environment_list_working_dir_and_long_ports():
    objs = convert(_project(environment=["A=1", "B", "C=x=y"], working_dir="/srv",
                            ports=[{"target": 8080, "published": 80}, {"target": 9090}]), "ns")
    c = _container(objs)
    assert c["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": ""}, {"name": "C", "value": "x=y"}]
    assert c["workingDir"] == "/srv"
    assert [p["containerPort"] for p in c["ports"]] == [8080, 9090]
    svc = next(o for o in objs if o["kind"] == "Service")
    assert sorted((p["port"], p["targetPort"]) for p in svc["spec"]["ports"]) == [(80, 8080), (9090, 9090)]


def test_healthcheck_string_is_a_shell_probe_and_none_disables_it():
    c = _container(convert(_project(healthcheck={"test": "curl -f http://127.0.0.1/ || exit 1"}), "ns"))
    assert c["readinessProbe"]["exec"]["command"] == ["sh", "-c", "curl -f http://127.0.0.1/ || exit 1"]
    c = _container(convert(_project(healthcheck={"test": ["NONE"]}), "ns"))
    assert "readinessProbe" not in c and "livenessProbe" not in c


def test_healthcheck_of_unknown_form_names_the_service():
    with pytest.raises(ConversionError, match=r"service 'app': healthcheck.test: must start with CMD or CMD-SHELL"):
        convert(_project(healthcheck={"test": ["HTTP", "/"]}), "ns")


def test_read_only_named_volume_and_storage_class():
    objs = convert(_project(volumes=["data:/data:ro"]), "ns", storage_class="local-path", volume_size="2Gi")
    mount = _container(objs)["volumeMounts"][0]
    assert mount == {"name": "v0", "mountPath": "/data", "readOnly": True}
    pvc = next(o for o in objs if o["kind"] == "PersistentVolumeClaim")
    assert pvc["metadata"]["name"] == "p-data"
    assert pvc["spec"]["storageClassName"] == "local-path"
    assert pvc["spec"]["resources"]["requests"]["storage"] == "2Gi"
