# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects that route ``api.<domain>`` and ``app.<domain>`` (behind the
ingress_objects filter and the ingress role).

``render_ingress(provider, domain, routes, options=None)`` returns a list of objects:

- ``eks``: one ``networking.k8s.io/v1`` Ingress per namespace, class ``alb``, for the AWS Load
  Balancer Controller: ``scheme`` (internet-facing), ``target-type: ip`` (pods behind the ALB, no
  NodePort), ``healthcheck-path`` (the route's health path), ``listen-ports`` (HTTP 80, and HTTPS
  443 with ``ssl-redirect`` when a certificate ARN is given) and ``group.name``, so every
  Ingress of the group shares one ALB (one ALB-hour in the cost table).
- ``oke``: a ``LoadBalancer`` Service in front of the ingress controller (ingress-nginx) with the
  OCI cloud controller's annotations - ``oci.oraclecloud.com/load-balancer-type: lb``, the
  ``flexible`` shape with min/max bandwidth 10 Mbps (the Always Free load balancer) - and an
  Ingress per namespace, class ``nginx``.
- ``k3s`` (the sandbox): an Ingress per namespace, class ``traefik`` (k3s's own controller).

``routes``: a list of ``{host, namespace, paths: [{path, service, port, health_path}]}``; ``host``
is the first label (``api``, ``app``), the name is ``<host>.<domain>``. Invalid input raises
``IngressError`` naming the field.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

PROVIDERS = ("eks", "oke", "k3s")
DEFAULT_CLASS = {"eks": "alb", "oke": "nginx", "k3s": "traefik"}
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DOMAIN = re.compile(r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$")

DEFAULT_OPTIONS = {
    "ingress_class": None,
    "name_prefix": "investment",
    "alb_scheme": "internet-facing",
    "alb_group_name": "investment",
    "alb_certificate_arn": "",
    "oke_controller_namespace": "ingress-nginx",
    "oke_controller_selector": {"app.kubernetes.io/name": "ingress-nginx",
                                "app.kubernetes.io/component": "controller"},
    "oke_lb_min_mbps": 10,
    "oke_lb_max_mbps": 10,
    "labels": {"app.kubernetes.io/part-of": "investment", "app.kubernetes.io/managed-by": "ansible"},
}


class IngressError(ValueError):
    pass


def _check_routes(domain, routes):
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        raise IngressError("domain %r is not a DNS name" % (domain,))
    if not isinstance(routes, (list, tuple)) or not routes:
        raise IngressError("routes must be a non-empty list")
    seen = set()
    for i, route in enumerate(routes):
        where = "routes[%d]" % i
        if not isinstance(route, dict):
            raise IngressError("%s must be a dict" % where)
        for key in ("host", "namespace"):
            if not _DNS_LABEL.match(str(route.get(key) or "")):
                raise IngressError("%s.%s %r is not a DNS label" % (where, key, route.get(key)))
        if route["host"] in seen:
            raise IngressError("%s.host %r is routed twice" % (where, route["host"]))
        seen.add(route["host"])
        paths = route.get("paths")
        if not isinstance(paths, (list, tuple)) or not paths:
            raise IngressError("%s.paths must be a non-empty list" % where)
        for j, p in enumerate(paths):
            pwhere = "%s.paths[%d]" % (where, j)
            if not str(p.get("path", "")).startswith("/"):
                raise IngressError("%s.path %r must start with /" % (pwhere, p.get("path")))
            if not _DNS_LABEL.match(str(p.get("service") or "")):
                raise IngressError("%s.service %r is not a Service name" % (pwhere, p.get("service")))
            try:
                port = int(p.get("port"))
            except (TypeError, ValueError):
                port = 0
            if not 0 < port < 65536:
                raise IngressError("%s.port %r is not a port" % (pwhere, p.get("port")))
            if p.get("health_path") is not None and not str(p["health_path"]).startswith("/"):
                raise IngressError("%s.health_path %r must start with /" % (pwhere, p["health_path"]))


def _sorted_paths(paths):
    # the longest prefix first: /predict before /
    return sorted(paths, key=lambda p: (-len(str(p["path"])), str(p["path"])))


def _ingress(route, domain, ingress_class, annotations, o):
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "%s-%s" % (o["name_prefix"], route["host"]), "namespace": route["namespace"],
                     "labels": dict(o["labels"]), "annotations": annotations},
        "spec": {
            "ingressClassName": ingress_class,
            "rules": [{
                "host": "%s.%s" % (route["host"], domain),
                "http": {"paths": [{
                    "path": str(p["path"]), "pathType": "Prefix",
                    "backend": {"service": {"name": p["service"], "port": {"number": int(p["port"])}}},
                } for p in _sorted_paths(route["paths"])]},
            }],
        },
    }


def render_ingress(provider, domain, routes, options=None):
    """The Kubernetes objects routing ``<route.host>.<domain>``; see the module docstring."""
    if provider not in PROVIDERS:
        raise IngressError("provider %r is not one of %s" % (provider, ", ".join(PROVIDERS)))
    o = dict(DEFAULT_OPTIONS)
    o.update({k: v for k, v in (options or {}).items() if v is not None})
    unknown = set(options or {}) - set(DEFAULT_OPTIONS)
    if unknown:
        raise IngressError("unknown options: %s" % ", ".join(sorted(unknown)))
    _check_routes(domain, routes)
    ingress_class = o["ingress_class"] or DEFAULT_CLASS[provider]
    objects = []
    if provider == "eks":
        if o["alb_scheme"] not in ("internet-facing", "internal"):
            raise IngressError("alb_scheme %r is not internet-facing or internal" % (o["alb_scheme"],))
        if not _DNS_LABEL.match(str(o["alb_group_name"])):
            raise IngressError("alb_group_name %r is not a DNS label" % (o["alb_group_name"],))
        cert = o["alb_certificate_arn"]
        if cert and not _ARN.match(cert):
            raise IngressError("alb_certificate_arn %r is not an ACM certificate ARN" % (cert,))
        listen = [{"HTTP": 80}] + ([{"HTTPS": 443}] if cert else [])
        for order, route in enumerate(routes, start=1):
            health = next((p.get("health_path") for p in route["paths"] if p.get("health_path")), "/")
            annotations = {
                "alb.ingress.kubernetes.io/scheme": o["alb_scheme"],
                "alb.ingress.kubernetes.io/target-type": "ip",
                "alb.ingress.kubernetes.io/healthcheck-path": health,
                "alb.ingress.kubernetes.io/listen-ports": json.dumps(listen, separators=(",", ":")),
                "alb.ingress.kubernetes.io/group.name": o["alb_group_name"],
                "alb.ingress.kubernetes.io/group.order": str(order),
            }
            if cert:
                annotations["alb.ingress.kubernetes.io/certificate-arn"] = cert
                annotations["alb.ingress.kubernetes.io/ssl-redirect"] = "443"
            objects.append(_ingress(route, domain, ingress_class, annotations, o))
    elif provider == "oke":
        try:
            low, high = int(o["oke_lb_min_mbps"]), int(o["oke_lb_max_mbps"])
        except (TypeError, ValueError):
            raise IngressError("oke_lb_min_mbps and oke_lb_max_mbps must be numbers")
        if not 10 <= low <= high <= 8000:
            raise IngressError("oke_lb_min_mbps/oke_lb_max_mbps must satisfy 10 <= min <= max <= 8000, got %s/%s"
                               % (low, high))
        if not _DNS_LABEL.match(str(o["oke_controller_namespace"])):
            raise IngressError("oke_controller_namespace %r is not a DNS label" % (o["oke_controller_namespace"],))
        if not isinstance(o["oke_controller_selector"], dict) or not o["oke_controller_selector"]:
            raise IngressError("oke_controller_selector must be a non-empty dict of pod labels")
        objects.append({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "%s-ingress-lb" % o["name_prefix"], "namespace": o["oke_controller_namespace"],
                "labels": dict(o["labels"]),
                "annotations": {
                    "oci.oraclecloud.com/load-balancer-type": "lb",
                    "service.beta.kubernetes.io/oci-load-balancer-shape": "flexible",
                    "service.beta.kubernetes.io/oci-load-balancer-shape-flex-min": str(low),
                    "service.beta.kubernetes.io/oci-load-balancer-shape-flex-max": str(high),
                },
            },
            "spec": {
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                "selector": dict(o["oke_controller_selector"]),
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                          {"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}],
            },
        })
        for route in routes:
            objects.append(_ingress(route, domain, ingress_class, {}, o))
    else:
        for route in routes:
            objects.append(_ingress(route, domain, ingress_class,
                                    {"traefik.ingress.kubernetes.io/router.entrypoints": "web"}, o))
    return objects
