# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions behind the compose_project and image_ref_error filters.

A host's Compose project is built from a catalogue of service definitions (one source of truth
for Compose and, later, Kubernetes manifests) plus per-fleet choices: images, memory limits and
the log root. Nothing here talks to a host.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Keys of a catalogue entry that are ours, not Compose's.
CATALOG_ONLY_KEYS = ("secrets_env",)
SECRETS_ENV_FILE = "secrets.env"
LOGGING = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}

# Docker's distribution reference grammar (github.com/distribution/reference, regexp.go).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = (r"(?:" + _DOMAIN_COMPONENT + r"(?:\.(?:" + _DOMAIN_COMPONENT + r"))*"
           r"|\[(?:[a-fA-F0-9:]+)\])(?::[0-9]+)?")
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    r"^(?P<name>(?:(?P<domain>" + _DOMAIN + r")/)?(?P<path>" + _PATH_COMPONENT
    + r"(?:/" + _PATH_COMPONENT + r")*))(?::(?P<tag>" + _TAG + r"))?(?:@(?P<digest>"
    + _DIGEST + r"))?$"
)
NAME_TOTAL_LENGTH_MAX = 255


def _repository_path(ref):
    """The path components of a reference, without registry, tag or digest."""
    parts = ref.split("@", 1)[0].split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    parts[-1] = parts[-1].split(":", 1)[0]
    return parts


# Digest algorithms registries accept, with the length of their lowercase hex encoding.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def _registry_error(ref):
    """A typo in the registry part (ghcr..io, ghcr.io:/x): why, or ''."""
    first = ref.split("/", 1)[0] if "/" in ref else ""
    if first and ("." in first or ":" in first or first == "localhost") \
            and not re.match(r"^" + _DOMAIN + r"$", first):
        return "the registry host %r is not a valid host name[:port]" % first
    return ""


def _digest_error(ref):
    if "@" not in ref:
        return ""
    digest = ref.rsplit("@", 1)[1]
    algorithm, _sep, encoded = digest.partition(":")
    length = DIGEST_HEX_LENGTHS.get(algorithm)
    if length is None:
        return "the digest %r is not <algorithm>:<hex> with algorithm %s" % (
            digest, ", ".join(sorted(DIGEST_HEX_LENGTHS)))
    if not re.match(r"^[0-9a-f]{%d}$" % length, encoded):
        return "the digest %r is not %s:<%d lowercase hex digits>" % (digest, algorithm, length)
    return ""


def image_ref_error(ref):
    """Return why ``ref`` is not a valid image reference, or '' when it is."""
    if not isinstance(ref, str) or not ref:
        return "the image reference is empty"
    if ref != ref.strip() or any(c.isspace() for c in ref):
        return "the image reference contains white space"
    why = _registry_error(ref) or _digest_error(ref)
    if why:
        return why
    m = _REFERENCE.match(ref)
    if not m:
        if re.search(r"[A-Z]", "/".join(_repository_path(ref))):
            return "the repository name must be lowercase"
        if ref.count("@") > 1 or ref.endswith((":", "@", "/")):
            return "the reference is malformed (empty tag, digest or path component)"
        return "the reference does not match [registry/]repository[:tag][@digest]"
    if len(m.group("name")) > NAME_TOTAL_LENGTH_MAX:
        return "the repository name is longer than %d characters" % NAME_TOTAL_LENGTH_MAX
    return ""


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def build_project(catalog, name, services, images, mem_limits, log_root="/LOG"):
    """Return the Compose project (a dict) for ``services`` taken from ``catalog``.

    Each service gets its image and ``mem_limit``, ``restart: unless-stopped``, rotated json-file
    logs, a bind mount ``<log_root>/<service>:/LOG/<service>``, and the secrets env file when
    the catalogue marks it ``secrets_env``. Named volumes used by the services are declared.
    Raises ValueError naming the service when an input is missing.
    """
    if not name:
        raise ValueError("the project name is empty")
    project_services = {}
    named_volumes = {}
    for svc in _as_list(services):
        if svc not in catalog:
            raise ValueError("service %r is not in the catalogue (known: %s)"
                             % (svc, ", ".join(sorted(catalog))))
        if not images.get(svc):
            raise ValueError("no image for service %r" % svc)
        if not mem_limits.get(svc):
            raise ValueError("no memory limit for service %r" % svc)
        entry = catalog[svc]
        spec = dict((k, v) for k, v in entry.items() if k not in CATALOG_ONLY_KEYS)
        volumes = _as_list(spec.get("volumes"))
        for vol in volumes:
            source = vol.split(":", 1)[0]
            if source and not source.startswith((".", "/", "~")):
                named_volumes[source] = {}
        spec.update({
            "image": images[svc],
            "restart": spec.get("restart", "unless-stopped"),
            "mem_limit": mem_limits[svc],
            "volumes": volumes + ["%s/%s:/LOG/%s" % (log_root.rstrip("/"), svc, svc)],
            "logging": LOGGING,
        })
        if entry.get("secrets_env"):
            spec["env_file"] = [SECRETS_ENV_FILE]
        project_services[svc] = spec
    project = {"name": name, "services": project_services}
    if named_volumes:
        project["volumes"] = named_volumes
    return project
