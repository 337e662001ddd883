# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reachability and round-trip time by TCP connect (behind the fleet_probe module).

A TCP connect takes one round trip (SYN, SYN-ACK), so its duration is the network round-trip
time plus the peer's accept latency. A refused connection (RST) also proves the host answered
and measures the round trip; only a timeout or a routing error means unreachable.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import socket
import time

STATES = ("open", "refused", "timeout", "error")


def connect_once(host, port, timeout, clock=time.monotonic, connector=socket.create_connection):
    """One TCP connect; returns (state, seconds or None, error text or None)."""
    start = clock()
    try:
        sock = connector((host, port), timeout)
    except socket.timeout:
        return "timeout", None, "no answer within %ss" % timeout
    except ConnectionRefusedError:
        return "refused", clock() - start, None
    except (OSError, socket.error) as exc:
        if getattr(exc, "errno", None) == errno.ECONNREFUSED:
            return "refused", clock() - start, None
        return "error", None, str(exc)
    elapsed = clock() - start
    try:
        sock.close()
    except (OSError, socket.error):
        pass
    return "open", elapsed, None


def _median(values):
    s = sorted(values)
    n = len(s)
    if n == 0:
        return None
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2.0


def summarize(samples):
    """Aggregate connect samples [(state, seconds, error)] of one target and port."""
    states = [s[0] for s in samples]
    times = [s[1] for s in samples if s[1] is not None]
    answered = [s for s in states if s in ("open", "refused")]
    if "open" in states:
        state = "open"
    elif "refused" in states:
        state = "refused"
    elif "timeout" in states:
        state = "timeout"
    else:
        state = "error"
    errors = sorted(set(s[2] for s in samples if s[2]))
    out = {
        "state": state,
        "reachable": bool(answered),
        "attempts": len(samples),
        "answered": len(answered),
        "rtt_ms": None, "rtt_min_ms": None, "rtt_max_ms": None,
        "errors": errors,
    }
    if times:
        out["rtt_ms"] = round(_median(times) * 1000.0, 3)
        out["rtt_min_ms"] = round(min(times) * 1000.0, 3)
        out["rtt_max_ms"] = round(max(times) * 1000.0, 3)
    return out


def normalize_targets(targets, default_ports):
    """Targets as [{name, host, ports}]; accepts strings ('host' or 'host:port') and dicts."""
    out = []
    seen = set()
    for index, t in enumerate(targets or []):
        if isinstance(t, str):
            host, dummy, port = t.rpartition(":") if t.count(":") == 1 else (t, "", "")
            entry = {"name": host, "host": host, "ports": [port] if port else list(default_ports)}
        elif isinstance(t, dict):
            if not t.get("host"):
                raise ValueError("targets[%d]: host is required" % index)
            ports = t.get("ports", t.get("port", default_ports))
            if not isinstance(ports, (list, tuple)):
                ports = [ports]
            entry = {"name": str(t.get("name") or t["host"]), "host": str(t["host"]), "ports": list(ports)}
        else:
            raise ValueError("targets[%d]: expected a string or a dict, got %r" % (index, t))
        ports = []
        for p in entry["ports"]:
            try:
                p = int(p)
            except (TypeError, ValueError):
                raise ValueError("targets[%d] (%s): port %r is not a number" % (index, entry["name"], p))
            if not 0 < p < 65536:
                raise ValueError("targets[%d] (%s): port %d is out of range" % (index, entry["name"], p))
            ports.append(p)
        if not ports:
            raise ValueError("targets[%d] (%s): no port to probe" % (index, entry["name"]))
        entry["ports"] = ports
        if entry["name"] in seen:
            raise ValueError("targets[%d]: name %r appears twice" % (index, entry["name"]))
        seen.add(entry["name"])
        out.append(entry)
    return out


def probe(targets, ports=(22,), count=3, timeout=2.0, connect=connect_once):
    """Probe every target on its ports ``count`` times.

    Returns {name: {host, reachable, rtt_ms (median of the first open port in the
    order given, else of the first refused one), port (that port), ports:
    {port: summary}}}. A target is reachable when any port answered (open or refused).
    """
    if count < 1:
        raise ValueError("count must be at least 1, got %r" % count)
    if timeout <= 0:
        raise ValueError("timeout must be positive, got %r" % timeout)
    results = {}
    for t in normalize_targets(targets, ports):
        per_port = {}
        for port in t["ports"]:
            samples = [connect(t["host"], port, timeout) for dummy in range(count)]
            per_port[port] = summarize(samples)
        # the first open port in the order given, else the first refused one (the host's kernel
        # answered): the same port on every run, so its times compare from run to run
        best = (None, None)
        for wanted in ("open", "refused"):
            hits = [(per_port[p]["rtt_ms"], p) for p in t["ports"]
                    if per_port[p]["state"] == wanted and per_port[p]["rtt_ms"] is not None]
            if hits:
                best = hits[0]
                break
        results[t["name"]] = {
            "host": t["host"],
            "reachable": any(s["reachable"] for s in per_port.values()),
            "rtt_ms": best[0],
            "port": best[1],
            "ports": dict((str(p), s) for p, s in per_port.items()),
        }
    return results
