import socket
import threading

import pytest

from ansible_collections.investment.orchestration.plugins.module_utils import probe as P


class FakeClock(object):
    def __init__(self, steps):
        self.t = 0.0
        self.steps = list(steps)

    def __call__(self):
        value = self.t
        if self.steps:
            self.t += self.steps.pop(0)
        return value


def test_connect_once_open_refused_timeout_error():
    closed = []

    class Sock(object):
        def close(self):
            closed.append(True)

    def ok(addr, timeout):
        return Sock()

    def refused(addr, timeout):
        raise ConnectionRefusedError(111, "refused")

    def slow(addr, timeout):
        raise socket.timeout("timed out")

    def unroutable(addr, timeout):
        raise OSError(113, "No route to host")

    assert P.connect_once("h", 22, 1, clock=FakeClock([0.025]), connector=ok) == ("open", 0.025, None)
    assert closed == [True]
    assert P.connect_once("h", 22, 1, clock=FakeClock([0.03]), connector=refused) == ("refused", 0.03, None)
    state, secs, err = P.connect_once("h", 22, 1.5, clock=FakeClock([1.5]), connector=slow)
    assert (state, secs) == ("timeout", None) and "1.5" in err
    state, secs, err = P.connect_once("h", 22, 1, connector=unroutable)
    assert (state, secs) == ("error", None) and "No route" in err


def test_summarize_median_and_states():
    s = P.summarize([("open", 0.010, None), ("open", 0.030, None), ("open", 0.020, None)])
    assert s["state"] == "open" and s["reachable"] and s["answered"] == 3
    assert (s["rtt_ms"], s["rtt_min_ms"], s["rtt_max_ms"]) == (20.0, 10.0, 30.0)
    s = P.summarize([("timeout", None, "x"), ("refused", 0.004, None)])
    assert s["state"] == "refused" and s["reachable"] and s["rtt_ms"] == 4.0 and s["errors"] == ["x"]
    s = P.summarize([("timeout", None, "t"), ("timeout", None, "t")])
    assert s["state"] == "timeout" and not s["reachable"] and s["rtt_ms"] is None
    s = P.summarize([("open", 0.001, None), ("open", 0.003, None)])
    assert s["rtt_ms"] == 2.0  # even count: mean of the middle two


def test_normalize_targets():
    out = P.normalize_targets(["10.0.0.1", "10.0.0.2:5432", {"name": "db", "host": "10.0.0.3", "ports": [5432, "6379"]},
                               {"host": "10.0.0.4", "port": 80}], [22])
    assert out == [
        {"name": "10.0.0.1", "host": "10.0.0.1", "ports": [22]},
        {"name": "10.0.0.2", "host": "10.0.0.2", "ports": [5432]},
        {"name": "db", "host": "10.0.0.3", "ports": [5432, 6379]},
        {"name": "10.0.0.4", "host": "10.0.0.4", "ports": [80]},
    ]
    for bad, text in (([{"name": "x"}], "host is required"), (["h:99999"], "out of range"),
                      ([{"host": "h", "ports": ["ssh"]}], "not a number"), ([42], "expected a string"),
                      (["a", "a"], "appears twice"), ([{"host": "h", "ports": []}], "no port")):
        with pytest.raises(ValueError, match=text):
            P.normalize_targets(bad, [22])


def test_probe_aggregates_best_port():
    calls = []

    def connect(host, port, timeout):
        calls.append((host, port))
        if host == "down":
            return "timeout", None, "no answer"
        return ("open", 0.002, None) if port == 80 else ("refused", 0.001, None)

    r = P.probe([{"name": "a", "host": "up", "ports": [81, 80]}, "down"], ports=[22], count=2, connect=connect)
    assert len(calls) == 2 * 2 + 2
    assert r["a"]["reachable"] and r["a"]["rtt_ms"] == 2.0 and r["a"]["port"] == 80  # open port first
    b = P.probe([{"name": "b", "host": "up", "ports": [81, 82]}], count=1, connect=connect)["b"]
    assert b["port"] == 81 and b["rtt_ms"] == 1.0  # none open: the first refused
    assert r["a"]["ports"]["80"]["state"] == "open" and r["a"]["ports"]["81"]["state"] == "refused"
    assert not r["down"]["reachable"] and r["down"]["rtt_ms"] is None and r["down"]["port"] is None
    with pytest.raises(ValueError, match="count"):
        P.probe(["x"], count=0, connect=connect)
    with pytest.raises(ValueError, match="timeout"):
        P.probe(["x"], timeout=0, connect=connect)


def test_probe_real_sockets_on_loopback():
    """A listener of this test (open) and a port nobody listens on (refused), over real TCP."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    closed_port = spare.getsockname()[1]
    spare.close()
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn = server.accept()[0]
                conn.close()
            except socket.timeout:
                pass

    t = threading.Thread(target=accept)
    t.start()
    try:
        r = P.probe([{"name": "lo", "host": "127.0.0.1", "ports": [port, closed_port]}], count=3, timeout=2)
    finally:
        stop.set()
        t.join()
        server.close()
    lo = r["lo"]
    assert lo["reachable"]
    assert lo["ports"][str(port)]["state"] == "open" and lo["ports"][str(port)]["answered"] == 3
    assert lo["ports"][str(closed_port)]["state"] == "refused"
    assert 0 < lo["rtt_ms"] < 1000
