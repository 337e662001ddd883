import json

import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.ingress import IngressError, render_ingress

ROUTES = [
    {"host": "api", "namespace": "investment-app", "paths": [
        {"path": "/", "service": "backend", "port": 8000, "health_path": "/healthz"},
        {"path": "/predict", "service": "prediction-service", "port": 8001, "health_path": "/healthz"}]},
    {"host": "app", "namespace": "investment-edge", "paths": [
        {"path": "/", "service": "frontend", "port": 3000, "health_path": "/"}]},
]


def rules(obj):
    return [(r["host"], p["path"], p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"])
            for r in obj["spec"]["rules"] for p in r["http"]["paths"]]


def test_eks_alb_ingresses():
    api, app = render_ingress("eks", "example.com", ROUTES)
    assert (api["apiVersion"], api["kind"], api["metadata"]["namespace"]) == (
        "networking.k8s.io/v1", "Ingress", "investment-app")
    assert api["spec"]["ingressClassName"] == "alb"
    assert rules(api) == [("api.example.com", "/predict", "prediction-service", 8001),
                          ("api.example.com", "/", "backend", 8000)]
    assert rules(app) == [("app.example.com", "/", "frontend", 3000)]
    a = api["metadata"]["annotations"]
    assert a["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert a["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert a["alb.ingress.kubernetes.io/healthcheck-path"] == "/healthz"
    assert json.loads(a["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTP": 80}]
    assert a["alb.ingress.kubernetes.io/group.name"] == app["metadata"]["annotations"][
        "alb.ingress.kubernetes.io/group.name"] == "investment"
    assert app["metadata"]["annotations"]["alb.ingress.kubernetes.io/healthcheck-path"] == "/"
    assert "alb.ingress.kubernetes.io/certificate-arn" not in a


def test_eks_https_with_certificate():
    arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
    api = render_ingress("eks", "example.com", ROUTES[:1], {"alb_certificate_arn": arn})[0]
    a = api["metadata"]["annotations"]
    assert json.loads(a["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert a["alb.ingress.kubernetes.io/certificate-arn"] == arn
    assert a["alb.ingress.kubernetes.io/ssl-redirect"] == "443"


def test_oke_load_balancer_service_and_ingresses():
    objects = render_ingress("oke", "example.com", ROUTES)
    service = objects[0]
    assert (service["kind"], service["metadata"]["namespace"], service["spec"]["type"]) == (
        "Service", "ingress-nginx", "LoadBalancer")
    assert service["metadata"]["annotations"] == {
        "oci.oraclecloud.com/load-balancer-type": "lb",
        "service.beta.kubernetes.io/oci-load-balancer-shape": "flexible",
        "service.beta.kubernetes.io/oci-load-balancer-shape-flex-min": "10",
        "service.beta.kubernetes.io/oci-load-balancer-shape-flex-max": "10"}
    assert service["spec"]["selector"]["app.kubernetes.io/name"] == "ingress-nginx"
    assert [p["port"] for p in service["spec"]["ports"]] == [80, 443]
    assert [o["spec"]["ingressClassName"] for o in objects[1:]] == ["nginx", "nginx"]
    assert rules(objects[2]) == [("app.example.com", "/", "frontend", 3000)]


def test_k3s_traefik():
    api, app = render_ingress("k3s", "sandbox.test", ROUTES, {"name_prefix": "sb"})
    assert api["spec"]["ingressClassName"] == "traefik"
    assert api["metadata"]["name"] == "sb-api"
    assert rules(app) == [("app.sandbox.test", "/", "frontend", 3000)]


@pytest.mark.parametrize("provider,domain,routes,options,message", [
    ("gke", "example.com", ROUTES, {}, "provider 'gke'"),
    ("eks", "bad domain", ROUTES, {}, "domain 'bad domain'"),
    ("eks", "example.com", [], {}, "routes must be a non-empty list"),
    ("eks", "example.com", [dict(ROUTES[0], host="API")], {}, r"routes\[0\].host 'API'"),
    ("eks", "example.com", [ROUTES[0], ROUTES[0]], {}, "routed twice"),
    ("eks", "example.com", [dict(ROUTES[0], paths=[{"path": "x", "service": "a", "port": 1}])], {}, "must start with /"),
    ("eks", "example.com", [dict(ROUTES[0], paths=[{"path": "/", "service": "a", "port": 0}])], {}, "is not a port"),
    ("eks", "example.com", ROUTES, {"alb_scheme": "public"}, "alb_scheme 'public'"),
    ("eks", "example.com", ROUTES, {"alb_certificate_arn": "cert"}, "not an ACM certificate ARN"),
    ("oke", "example.com", ROUTES, {"oke_lb_min_mbps": 5}, "10 <= min <= max"),
    ("oke", "example.com", ROUTES, {"oke_lb_min_mbps": 20, "oke_lb_max_mbps": 10}, "10 <= min <= max"),
    ("k3s", "example.com", ROUTES, {"colour": "red"}, "unknown options: colour"),
])
def test_refused(provider, domain, routes, options, message):
    with pytest.raises(IngressError, match=message):
        render_ingress(provider, domain, routes, options)
