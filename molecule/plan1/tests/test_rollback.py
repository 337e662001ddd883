"""Rollback, on purpose and by itself (runs after test_plan1.py): rollback.yml, killed once after
Compose is up again and before the cluster gives its ports back, then run again, puts oracle2's
app back on Compose (issue 9); a cutover whose pods cannot reach the data tier is rolled back by the play
itself, Compose serving throughout; plan1.yml run right after the failed one, killed between
its port switch and the stop of Compose, then run again, cuts over (issue 9; rows and keys on
oracle1 counted before and after).
Times in $IO_CACHE/logs/plan1-rollback-times.jsonl. (That last run once left its pods unavailable
for 300 s: the kubelet of the 1 GiB node had garbage-collected the imported images the app
needs, unused while the app ran on Compose; kube_node now keeps imported images.)"""
import pytest
import sandbox_run
from conftest import served_by


def playbook(name, *args):
    # Kept for the closing notes: how long a rollback and a cutover take on the sandbox.
    return sandbox_run.playbook("plan1-rollback-times", name, *args)


def test_rollback_playbook_returns_the_app_to_compose(fleet):
    rc, killed = sandbox_run.interrupted("plan1-rollback-times", "rollback.yml", sandbox_run.GIVE_BACK,
                                         sandbox_run.kill, "--limit", "oracle2")
    assert killed, "rollback.yml never reached the port switch (rc %s)" % rc
    # Killed after Compose started again: Compose runs, the cluster still holds the ports.
    assert fleet["oracle2"].check_output("docker compose -p investment-app ps -q --status running") != ""
    assert served_by(fleet["aws-seoul"]) == "kubernetes"
    rc, out = playbook("rollback.yml", "--limit", "oracle2")
    assert rc == 0, out[-3000:]
    assert served_by(fleet["aws-seoul"]) == "compose"
    ps = fleet["oracle2"].check_output("docker compose -p investment-app ps --format '{{.Service}} {{.Health}}'")
    assert sorted(ps.split("\n")) == ["backend healthy", "data-collector healthy", "nginx healthy",
                                      "prediction-service healthy"]


def test_failed_cutover_rolls_back_by_itself(fleet):
    # The pods get a data tier address where nothing listens: the backend cannot answer.
    rc, out = playbook("plan1.yml", "-e", "k8s_app_stack_data_address=172.29.10.250",
                       "-e", "cutover_health_retries=3", "-e", "cutover_health_delay=3",
                       "-e", "k8s_app_stack_wait_timeout=60")
    assert rc != 0
    assert "rolled back, Compose serves again" in out, out[-3000:]
    # Compose served the whole time and still does; the cluster serves no port.
    assert served_by(fleet["aws-seoul"]) == "compose"


# The cutover's own task (include_role: no role prefix), once the cluster serves the ports.
STOP_COMPOSE = "TASK [Stop the Compose stack (volumes kept for a rollback)]"


@pytest.mark.usefixtures("nothing_lost")  # rows and keys on oracle1 counted before and after
def test_cutover_again_right_after_the_failed_one_killed_then_run_again(fleet):
    rc, killed = sandbox_run.interrupted("plan1-rollback-times", "plan1.yml", STOP_COMPOSE, sandbox_run.kill)
    assert killed, "plan1.yml never reached the stop of Compose (rc %s)" % rc
    # Killed between the port switch and the stop of Compose: the cluster serves already.
    assert served_by(fleet["aws-seoul"]) == "kubernetes"
    rc, out = playbook("plan1.yml")
    assert rc == 0, out[-3000:]
    assert served_by(fleet["aws-seoul"]) == "kubernetes"
    assert fleet["oracle2"].check_output("docker compose -p investment-app ps -q") == ""
