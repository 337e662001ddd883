"""Faults (issue 9) of the status quo, after test_compose.py: compose.yml interrupted, then run
again right after.

1. The play killed (SIGKILL, the play and its workers) while it starts the app stack that an
   operator had stopped: the next run starts it, every stack healthy, nothing lost.
2. The data host's container restarted (a reboot) while the play starts its data tier (stopped
   by hand first, so the play is starting PostgreSQL and Redis when the host goes down): whatever
   that run reports, the next run completes, every stack healthy, and PostgreSQL rows and Redis
   keys counted before and after (none lost).

Times in $IO_CACHE/logs/compose-fault-times.jsonl."""
import signal
import subprocess

import sandbox_run
from conftest import HOSTS, ROLES, SERVICES, compose_ps

LOG = "compose-fault-times"
START = "TASK [investment.orchestration.compose_stack : Start the stack and wait until it is healthy]"


def assert_fleet_healthy(fleet):
    for name in HOSTS:
        ps = compose_ps(fleet[name], ROLES[name])
        assert sorted(ps) == sorted(SERVICES[ROLES[name]]), (name, sorted(ps))
        assert all(c["State"] == "running" and c["Health"] == "healthy" for c in ps.values()), (name, ps)


def test_killed_while_starting_a_stack_then_run_again(fleet):
    before = sandbox_run.data_counts(fleet["oracle1"])
    # The app stack stopped by hand (volumes kept), so the run has a stack to start.
    fleet["oracle2"].check_output("docker compose -p investment-app stop")

    rc, killed = sandbox_run.interrupted(LOG, "compose.yml", START, sandbox_run.kill)
    assert killed, "the play never reached the stacks' start (rc %s)" % rc
    assert rc == -signal.SIGKILL

    rc, out = sandbox_run.playbook(LOG, "compose.yml")
    assert rc == 0, out[-3000:]
    assert_fleet_healthy(fleet)
    sandbox_run.assert_nothing_lost(before, sandbox_run.data_counts(fleet["oracle1"]))


def test_data_host_restarted_mid_run_then_run_again(fleet):
    data = fleet["oracle1"]
    before = sandbox_run.data_counts(data)
    data.check_output("docker compose -p investment-data stop")

    def restart(_proc):
        subprocess.run(["docker", "restart", "-t", "10", "oracle1"], check=True, timeout=180)

    rc, restarted = sandbox_run.interrupted(LOG, "compose.yml", START, restart)
    assert restarted, "the play never reached the stacks' start (rc %s)" % rc

    rc, out = sandbox_run.playbook(LOG, "compose.yml")
    assert rc == 0, out[-3000:]
    assert sandbox_run.recap(out, "oracle1")["failed"] == 0
    assert_fleet_healthy(fleet)
    sandbox_run.assert_nothing_lost(before, sandbox_run.data_counts(data))
