import json
import socket

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.investment.orchestration.plugins.modules import fleet_probe


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            fleet_probe.main()
    return json.loads(capsys.readouterr().out)


def test_probe_loopback_listener(capsys):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # connects complete in the kernel backlog without accept()
    port = server.getsockname()[1]
    try:
        r = run(capsys, targets=[{"name": "self", "host": "127.0.0.1", "ports": [port]}], count=2,
                _ansible_check_mode=True)
    finally:
        server.close()
    assert r["changed"] is False and r["unreachable"] == []
    assert r["peers"]["self"]["ports"][str(port)]["state"] == "open"
    assert r["peers"]["self"]["rtt_ms"] >= 0


def test_bad_target_fails(capsys):
    r = run(capsys, targets=["h:0"])
    assert r["failed"] and "out of range" in r["msg"]
