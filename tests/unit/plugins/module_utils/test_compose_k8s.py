import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.compose_k8s import (
    ConversionError,
    convert,
    docker_memory_to_k8s,
    duration_seconds,
)
from ansible_collections.investment.orchestration.plugins.module_utils.compose_project import (
    build_project,
)

# The app role's catalogue as compose_stack renders it (roles/compose_stack/vars/main.yml).
CATALOG = {
    "backend": {
        "environment": {"POSTGRES_HOST": "203.0.113.11", "PORT": "8000", "LOG_DIR": "/LOG/backend"},
        "secrets_env": True,
        "expose": ["8000"],
        "healthcheck": {"test": ["CMD", "curl", "-fsS", "http://127.0.0.1:8000/healthz"],
                        "interval": "10s", "timeout": "5s", "retries": 5, "start_period": "20s"},
    },
    "nginx": {
        "ports": ["80:80"],
        "volumes": ["./nginx.conf:/etc/nginx/conf.d/default.conf:ro"],
        "depends_on": {"backend": {"condition": "service_healthy"}},
        "healthcheck": {"test": ["CMD", "curl", "-fsS", "http://127.0.0.1/nginx-health"]},
    },
    "timescaledb": {
        "secrets_env": True,
        "ports": ["5432:5432"],
        "volumes": ["pgdata:/var/lib/postgresql/data"],
        "command": ["-c", "log_directory=/LOG/timescaledb"],
        "healthcheck": {"test": ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U $$POSTGRES_USER"],
                        "interval": "1m30s"},
    },
}
IMAGES = {"backend": "reg/backend:1", "nginx": "reg/nginx:1", "timescaledb": "reg/tsdb:2"}
LIMITS = {"backend": "128m", "nginx": "32m", "timescaledb": "256m"}


def objects_by(objs):
    return {(o["kind"], o["metadata"]["name"]): o for o in objs}


@pytest.fixture
def converted():
    project = build_project(CATALOG, "investment-app", ["backend", "nginx", "timescaledb"],
                            IMAGES, LIMITS)
    return objects_by(convert(project, "app", files={"./nginx.conf": "server {}"},
                              secret_data={"POSTGRES_PASSWORD": "s3cret"}))


def test_every_service_gets_a_deployment_and_a_service(converted):
    kinds = sorted(converted)
    assert kinds == sorted([
        ("Deployment", "backend"), ("Service", "backend"),
        ("Deployment", "nginx"), ("Service", "nginx"), ("ConfigMap", "investment-app-nginx-nginx-conf"),
        ("Deployment", "timescaledb"), ("Service", "timescaledb"),
        ("PersistentVolumeClaim", "investment-app-pgdata"), ("Secret", "investment-app-env"),
    ])
    for obj in converted.values():
        assert obj["metadata"]["namespace"] == "app"


def test_container_fields(converted):
    c = converted[("Deployment", "backend")]["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "reg/backend:1"
    assert {"name": "PORT", "value": "8000"} in c["env"]
    assert c["envFrom"] == [{"secretRef": {"name": "investment-app-env"}}]
    assert c["ports"] == [{"containerPort": 8000, "name": "p8000"}]
    assert c["resources"] == {"limits": {"memory": "128Mi"}, "requests": {"memory": "64Mi"}}
    assert c["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8000}
    assert c["readinessProbe"]["periodSeconds"] == 10
    assert c["livenessProbe"]["initialDelaySeconds"] == 20
    assert c["livenessProbe"]["failureThreshold"] == 10


def test_log_mount_is_host_path(converted):
    pod = converted[("Deployment", "backend")]["spec"]["template"]["spec"]
    (vol,) = pod["volumes"]
    assert vol["hostPath"] == {"path": "/LOG/backend", "type": "DirectoryOrCreate"}
    assert pod["containers"][0]["volumeMounts"] == [{"name": vol["name"], "mountPath": "/LOG/backend"}]


def test_bind_mounted_file_becomes_configmap(converted):
    cm = converted[("ConfigMap", "investment-app-nginx-nginx-conf")]
    assert cm["data"] == {"nginx.conf": "server {}"}
    mounts = converted[("Deployment", "nginx")]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "v0", "mountPath": "/etc/nginx/conf.d/default.conf", "subPath": "nginx.conf",
            "readOnly": True} in mounts


def test_named_volume_becomes_claim_and_recreate(converted):
    d = converted[("Deployment", "timescaledb")]
    assert d["spec"]["strategy"] == {"type": "Recreate"}
    assert d["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"] == {
        "claimName": "investment-app-pgdata"}
    assert converted[("PersistentVolumeClaim", "investment-app-pgdata")]["spec"]["resources"] == {
        "requests": {"storage": "1Gi"}}
    assert not [k for k in converted if k[0] == "PersistentVolume"]


def test_volume_root_binds_each_claim_to_its_own_host_path():
    project = build_project(CATALOG, "investment-app", ["timescaledb"], IMAGES, LIMITS)
    objs = objects_by(convert(project, "investment-data", secret_data={"POSTGRES_PASSWORD": "s"},
                              storage_class="ignored", volume_size="2Gi", volume_root="/var/lib/io/"))
    pvc = objs[("PersistentVolumeClaim", "investment-app-pgdata")]
    pv = objs[("PersistentVolume", "investment-data-investment-app-pgdata")]
    assert pvc["spec"]["storageClassName"] == "" and pvc["spec"]["volumeName"] == pv["metadata"]["name"]
    assert "namespace" not in pv["metadata"]
    assert pv["spec"]["hostPath"] == {"path": "/var/lib/io/investment-data/investment-app-pgdata",
                                      "type": "DirectoryOrCreate"}
    assert pv["spec"]["claimRef"] == {"namespace": "investment-data", "name": "investment-app-pgdata"}
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["capacity"] == {"storage": "2Gi"} and pv["spec"]["storageClassName"] == ""


def test_volume_root_must_be_absolute():
    project = build_project(CATALOG, "investment-app", ["timescaledb"], IMAGES, LIMITS)
    with pytest.raises(ConversionError, match="volume_root 'data' must be an absolute path"):
        convert(project, "ns", secret_data={"POSTGRES_PASSWORD": "s"}, volume_root="data")


def test_command_args_and_shell_probe(converted):
    c = converted[("Deployment", "timescaledb")]["spec"]["template"]["spec"]["containers"][0]
    assert "command" not in c
    assert c["args"] == ["-c", "log_directory=/LOG/timescaledb"]
    assert c["readinessProbe"]["exec"]["command"] == ["sh", "-c", "pg_isready -h 127.0.0.1 -U $POSTGRES_USER"]
    assert c["readinessProbe"]["periodSeconds"] == 90


def test_published_port_is_the_service_port(converted):
    assert converted[("Service", "timescaledb")]["spec"]["ports"] == [
        {"name": "p5432", "port": 5432, "targetPort": 5432}]


def test_secret_data(converted):
    assert converted[("Secret", "investment-app-env")]["stringData"] == {"POSTGRES_PASSWORD": "s3cret"}


@pytest.mark.parametrize("key,value,message", [
    ("build", ".", "'x': build: images are built ahead"),
    ("network_mode", "host", "'x': network_mode"),
    ("privileged", True, "'x': privileged"),
    ("ulimits", {}, "'x': ulimits: no Kubernetes conversion is defined"),
    ("ports", ["8000-8010:8000-8010"], "port ranges"),
    ("volumes", ["./missing.conf:/etc/x.conf"], "needs its content in files"),
    ("volumes", [{"type": "bind", "source": "/a", "target": "/b"}], "long volume syntax"),
    ("mem_limit", "lots", "not a Docker memory size"),
    ("healthcheck", {"test": ["CMD", "true"], "interval": "soon"}, "not a duration"),
])
def test_refusals_name_service_and_key(key, value, message):
    project = {"name": "p", "services": {"x": {"image": "i", key: value}}}
    with pytest.raises(ConversionError, match=message):
        convert(project, "ns")


def test_env_file_needs_secret_data():
    with pytest.raises(ConversionError, match="no secret data"):
        convert({"name": "p", "services": {"x": {"image": "i", "env_file": ["secrets.env"]}}}, "ns")


def test_missing_image_and_name():
    with pytest.raises(ConversionError, match="an image is required"):
        convert({"name": "p", "services": {"x": {}}}, "ns")
    with pytest.raises(ConversionError, match="no name"):
        convert({"services": {}}, "ns")


@pytest.mark.parametrize("value,expected", [
    ("256m", "256Mi"), ("1g", "1Gi"), ("64k", "64Ki"), ("512mb", "512Mi"), ("1G", "1Gi"),
    ("1.5g", str(int(1.5 * 1024 ** 3))), ("1048576", "1048576"), (2048, "2048"),
])
def test_docker_memory(value, expected):
    assert docker_memory_to_k8s(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("10s", 10), ("1m30s", 90), ("2h", 7200), ("500ms", 1), (15, 15), ("1m", 60)])
def test_durations(value, expected):
    assert duration_seconds(value) == expected


def test_string_command_and_entrypoint():
    objs = convert({"name": "p", "services": {
        "a": {"image": "i", "command": "echo hi"},
        "b": {"image": "i", "entrypoint": ["/bin/app"], "command": ["--flag"]},
    }}, "ns")
    by = objects_by(objs)
    a = by[("Deployment", "a")]["spec"]["template"]["spec"]["containers"][0]
    b = by[("Deployment", "b")]["spec"]["template"]["spec"]["containers"][0]
    assert a["command"] == ["sh", "-c", "echo hi"] and "args" not in a
    assert b["command"] == ["/bin/app"] and b["args"] == ["--flag"]
    assert ("Service", "a") not in by  # no ports, no Service
