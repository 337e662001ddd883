import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.compose_project import (
    build_project,
    image_ref_error,
)

VALID_REFS = [
    "nginx",
    "nginx:1.27-alpine",
    "library/redis:7.2",
    "docker.io/timescale/timescaledb:2.17.2-pg15",
    "registry.example.invalid/investment/backend:1.0.0",
    "localhost:5000/app/backend",
    "local/standin-backend:sandbox",
    "ghcr.io/org/a_b__c-d.e:v1",
    "nginx@sha256:" + "a" * 64,
    "docker.io/library/nginx:1.27@sha256:" + "0123456789abcdef" * 4,
    "[::1]:5000/app:tag",
]

INVALID_REFS = [
    ("", "empty"),
    ("nginx:", "malformed"),
    ("Nginx:1.27", "lowercase"),
    ("registry.example.invalid/Investment/backend:1", "lowercase"),
    ("nginx:1.27 ", "white space"),
    ("ngi nx", "white space"),
    ("nginx::1.27", "does not match"),
    ("nginx:1.27@sha256:abc", "is not sha256:<64 lowercase hex digits>"),
    ("nginx@sha256:" + "0123456789ABCDEF" * 4, "is not sha256:<64 lowercase hex digits>"),
    ("nginx@md5:" + "0" * 32, "with algorithm sha256, sha384, sha512"),
    ("nginx@", "the digest '' is not"),
    ("ghcr..io/acme/backend:1", "the registry host 'ghcr..io' is not a valid host name[:port]"),
    ("ghcr.io:/acme/backend:1", "the registry host 'ghcr.io:' is not"),
    ("ghcr.io:port/acme/backend:1", "the registry host 'ghcr.io:port' is not"),
    ("-nginx", "does not match"),
    ("nginx/", "malformed"),
    ("registry.example.invalid//backend", "does not match"),
    ("nginx:" + "t" * 129, "does not match"),
    (None, "empty"),
]


@pytest.mark.parametrize("ref", VALID_REFS)
def test_valid_references(ref):
    assert image_ref_error(ref) == ""


@pytest.mark.parametrize("ref,reason", INVALID_REFS)
def test_invalid_references_say_why(ref, reason):
    assert reason in image_ref_error(ref)


def test_overlong_repository_name():
    assert "longer than 255" in image_ref_error("a" * 256)


CATALOG = {
    "timescaledb": {
        "environment": {"POSTGRES_DB": "investment"},
        "secrets_env": True,
        "ports": ["5432:5432"],
        "volumes": ["pgdata:/var/lib/postgresql/data"],
    },
    "redis": {"secrets_env": True, "volumes": ["redisdata:/data"]},
    "nginx": {"volumes": ["./nginx.conf:/etc/nginx/conf.d/default.conf:ro"], "restart": "always"},
}
IMAGES = {"timescaledb": "local/pg:1", "redis": "local/redis:1", "nginx": "local/nginx:1"}
LIMITS = {"timescaledb": "256m", "redis": "64m", "nginx": "32m"}


def test_build_project_data_role():
    p = build_project(CATALOG, "investment-data", ["timescaledb", "redis"], IMAGES, LIMITS, "/LOG/")
    assert p["name"] == "investment-data"
    assert list(p["services"]) == ["timescaledb", "redis"]
    pg = p["services"]["timescaledb"]
    assert pg["image"] == "local/pg:1"
    assert pg["mem_limit"] == "256m"
    assert pg["restart"] == "unless-stopped"
    assert pg["env_file"] == ["secrets.env"]
    assert "secrets_env" not in pg
    assert pg["volumes"] == ["pgdata:/var/lib/postgresql/data", "/LOG/timescaledb:/LOG/timescaledb"]
    assert pg["logging"]["options"]["max-size"] == "10m"
    assert p["volumes"] == {"pgdata": {}, "redisdata": {}}
    # The catalogue itself is not modified.
    assert "image" not in CATALOG["timescaledb"]
    assert CATALOG["timescaledb"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]


def test_build_project_bind_mounts_are_not_volumes_and_restart_kept():
    p = build_project(CATALOG, "edge", ["nginx"], IMAGES, LIMITS)
    assert "volumes" not in p
    nginx = p["services"]["nginx"]
    assert nginx["restart"] == "always"
    assert "env_file" not in nginx
    assert nginx["volumes"][-1] == "/LOG/nginx:/LOG/nginx"


@pytest.mark.parametrize("services,images,limits,message", [
    (["jenkins"], IMAGES, LIMITS, "'jenkins' is not in the catalogue"),
    (["redis"], {"redis": ""}, LIMITS, "no image for service 'redis'"),
    (["redis"], IMAGES, {}, "no memory limit for service 'redis'"),
])
def test_build_project_errors_name_the_service(services, images, limits, message):
    with pytest.raises(ValueError, match=message):
        build_project(CATALOG, "x", services, images, limits)


def test_build_project_needs_a_name():
    with pytest.raises(ValueError, match="project name"):
        build_project(CATALOG, "", ["redis"], IMAGES, LIMITS)
