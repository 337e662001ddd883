"""The EKS path of the managed_cluster role interrupted as a dead controller would leave it (the
play and its workers SIGKILLed at a task's banner, sandbox_run.kill_tree), then run again: the run
after the interrupted one completes the cluster or its teardown, and the one after that changes
nothing. Against the local moto server of conftest.py."""
import os
import stat

NODE_GROUPS = "TASK [investment.orchestration.managed_cluster : EKS node groups"
REMOVE_CLUSTER = "TASK [investment.orchestration.managed_cluster : Remove the cluster investment-plan3"
CLUSTER = "investment-plan3"


def test_build_killed_before_its_node_groups_then_run_again(run, aws):
    eks = aws("eks")
    rc, seen = run.interrupted(NODE_GROUPS)
    assert seen and rc == -9, rc
    # the control plane was made, the run stopped before it had its node group and kubeconfig
    assert eks.list_clusters()["clusters"] == [CLUSTER]
    assert not (run.kubedir / (CLUSTER + ".yaml")).exists()

    again = run()
    assert again["changed"] > 0
    assert eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"] == ["pool1"]
    assert eks.describe_cluster(name=CLUSTER)["cluster"]["status"] == "ACTIVE"
    assert stat.S_IMODE(os.stat(run.kubedir / (CLUSTER + ".yaml")).st_mode) == 0o600
    assert run()["changed"] == 0


def test_teardown_killed_before_the_cluster_goes_then_run_again(run, aws):
    eks, iam = aws("eks"), aws("iam")
    rc, seen = run.interrupted(REMOVE_CLUSTER, managed_cluster_state="absent")
    assert seen and rc == -9, rc
    assert eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"] == []  # removed before the kill

    gone = run(managed_cluster_state="absent")
    assert gone["changed"] > 0
    assert eks.list_clusters()["clusters"] == []
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert CLUSTER + "-eks-cluster" not in names and CLUSTER + "-eks-node" not in names
    assert not (run.kubedir / (CLUSTER + ".yaml")).exists()
    assert run(managed_cluster_state="absent")["changed"] == 0
