"""Plan 1-B's playbooks interrupted, then run again right after (issue 9); after test_plan1b.py,
with the app on aws-seoul's cluster beside the edge. PostgreSQL rows and Redis keys on oracle1 are
counted before and after each (none lost).

1. rollback.yml of the edge's host alone is refused before any change: the app does not answer
   on oracle2, where the edge's api. traffic would go.
2. rollback.yml of both hosts, killed on aws-seoul once its edge is back on Compose and before the
   cluster gives the app up: the next run finishes; the app is served from oracle2's Compose.
(upgrade.yml and uninstall.yml interrupted: molecule/plan1/tests/test_upgrade_uninstall.py, on
oracle2's node, in CI's default scenarios.)

Times in $IO_CACHE/logs/plan1b-fault-times.jsonl."""
import pytest
import sandbox_run
from conftest import APP, SERVICES, app_runtime, compose_ps
from kubernetes import client

LOG = "plan1b-fault-times"
pytestmark = pytest.mark.usefixtures("nothing_lost")  # conftest.py, from tests/lib/sandbox_fleet.py


def test_rollback_of_the_edge_alone_is_refused(fleet):
    rc, out = sandbox_run.playbook(LOG, "rollback.yml", "--limit", "aws-seoul")
    assert rc != 0
    said = " ".join(out.split())
    assert "aws-seoul: the app does not answer on %s" % APP in said, out[-3000:]
    assert "rollback.yml --limit oracle2,aws-seoul" in said, out[-3000:]
    assert app_runtime(fleet["aws-seoul"]) == "kubernetes"
    assert compose_ps(fleet["oracle2"], "app") == {}


def test_rollback_killed_then_run_again(fleet, api):
    edge = fleet["aws-seoul"]
    # The banner comes once per host (serial: 1): oracle2's, then aws-seoul's.
    rc, killed = sandbox_run.interrupted(LOG, "rollback.yml", sandbox_run.GIVE_BACK, sandbox_run.kill,
                                         "--limit", "oracle2,aws-seoul", occurrence=2)
    assert killed, "rollback.yml never reached aws-seoul's port switch (rc %s)" % rc
    # oracle2's Compose app runs again and the edge already sends api. there.
    assert app_runtime(edge) == "compose"
    rc, out = sandbox_run.playbook(LOG, "rollback.yml", "--limit", "oracle2,aws-seoul")
    assert rc == 0, out[-3000:]
    assert app_runtime(edge) == "compose"
    ps = compose_ps(fleet["oracle2"], "app")
    assert sorted(ps) == sorted(SERVICES["app"]) and all(c["Health"] == "healthy" for c in ps.values()), ps
    assert client.AppsV1Api(api).list_namespaced_deployment("investment-app").items == []
