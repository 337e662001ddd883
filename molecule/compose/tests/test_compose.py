"""Verify the status quo: every host runs its role's Compose stack, healthy, logging to /LOG,
with secrets in a 0600 file, and the api. chain edge -> app -> data works end to end."""
import json

import pytest
from conftest import DOMAIN, HOSTS, ROLES, SERVICES, compose_ps


@pytest.mark.parametrize("name", HOSTS)
def test_engine_and_compose_v2(fleet, name):
    host = fleet[name]
    assert host.service("docker").is_running
    assert host.service("docker").is_enabled
    assert host.check_output("docker compose version --short").startswith("2.")
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon["live-restore"] is True
    assert daemon["log-opts"]["max-size"] == "10m"


@pytest.mark.parametrize("name", HOSTS)
def test_every_service_up_and_healthy(fleet, name):
    role = ROLES[name]
    ps = compose_ps(fleet[name], role)
    assert sorted(ps) == sorted(SERVICES[role])
    for svc, c in ps.items():
        assert c["State"] == "running", (svc, c)
        assert c["Health"] == "healthy", (svc, c)


@pytest.mark.parametrize("name", HOSTS)
def test_logs_under_LOG(fleet, name):
    host = fleet[name]
    if "nginx" in SERVICES[ROLES[name]]:  # nginx logs requests, so make one
        host.run("curl -s -o /dev/null -H 'Host: api.%s' http://127.0.0.1/healthz", DOMAIN)
    for svc in SERVICES[ROLES[name]]:
        d = host.file("/LOG/%s" % svc)
        assert d.is_directory, svc
        files = host.check_output("find /LOG/%s -type f -size +0" % svc).split()
        assert files, "no log written under /LOG/%s" % svc


@pytest.mark.parametrize("name", ["oracle1", "oracle2"])
def test_secrets_env_file_is_private(fleet, name):
    f = fleet[name].file("/opt/investment/%s/secrets.env" % ROLES[name])
    assert f.exists
    assert f.mode == 0o600
    assert f.user == "root" and f.group == "root"
    assert "POSTGRES_PASSWORD=" in f.content_string
    # The secret is in the env file, not in the compose file.
    compose = fleet[name].file("/opt/investment/%s/compose.yml" % ROLES[name]).content_string
    password = [line.split("=", 1)[1] for line in f.content_string.splitlines()
                if line.startswith("POSTGRES_PASSWORD=")][0]
    assert password and password not in compose


@pytest.mark.parametrize("name", HOSTS)
def test_compose_pulled_nothing(fleet, name):
    """Every image of the stack was loaded locally: none has a registry digest."""
    host = fleet[name]
    ps = compose_ps(host, ROLES[name])
    for svc, c in ps.items():
        assert c["Image"].startswith("local/standin-"), c["Image"]
        digests = host.check_output("docker image inspect -f '{{json .RepoDigests}}' %s" % c["Image"])
        assert json.loads(digests) == [], (svc, digests)


def test_api_through_edge_reaches_postgres_and_redis(fleet):
    edge, app = fleet["aws-seoul"], fleet["oracle2"]
    url = "http://127.0.0.1/api/quotes"
    first = json.loads(edge.check_output("curl -fsS -H 'Host: api.%s' %s", DOMAIN, url))
    second = json.loads(edge.check_output("curl -fsS -H 'Host: api.%s' %s", DOMAIN, url))
    assert first["service"] == "backend"
    assert first["rows"] >= 1, "the collector wrote no row to PostgreSQL"
    assert first["redis_last_tick"]["id"] >= 1, "no tick in Redis"
    assert second["hits"] == first["hits"] + 1, "Redis counter did not move"
    # The request went through the app region's nginx.
    assert "/api/quotes" in app.file("/LOG/nginx/access.log").content_string


def test_frontend_through_edge(fleet):
    body = fleet["aws-seoul"].check_output("curl -fsS -H 'Host: app.%s' http://127.0.0.1/", DOMAIN)
    assert "investment frontend" in body


def test_prediction_through_app_nginx(fleet):
    out = json.loads(fleet["oracle2"].check_output(
        "curl -fsS -H 'Host: api.%s' http://127.0.0.1/predict", DOMAIN))
    assert out["next_price"] is not None


def test_data_tier_holds_the_data(fleet):
    data = fleet["oracle1"]
    rows = data.check_output(
        "docker compose -p investment-data exec -T timescaledb "
        "sh -c 'PGPASSWORD=$POSTGRES_PASSWORD psql -h 127.0.0.1 -U $POSTGRES_USER -d $POSTGRES_DB -tAc \"select count(*) from ticks\"'")
    assert int(rows) >= 1
    key = data.check_output(
        "docker compose -p investment-data exec -T redis sh -c 'REDISCLI_AUTH=$REDIS_PASSWORD redis-cli get last_tick'")
    assert json.loads(key)["price"] > 0


def test_jenkins_answers(fleet):
    out = fleet["oracle3"].check_output("curl -fsS http://127.0.0.1:8080/login")
    assert "jenkins" in out.lower()
