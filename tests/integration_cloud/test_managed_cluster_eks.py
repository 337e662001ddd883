"""The EKS path of the managed_cluster role against a local moto server: built, run again
without change, grown to stage 3, torn down. See conftest.py: no call leaves the machine."""
import json
import os
import re
import stat
import subprocess

import pytest
import yaml

from ansible_collections.investment.orchestration.plugins.module_utils.pricing import plan3_stage_cost
from conftest import ALLOWED  # the API allow-list the run fixture sets


def attached(iam, role):
    return sorted(p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"])


def test_eks_lifecycle(run, aws, moto):
    first = run()
    assert first["changed"] > 0
    # the stage cost is printed from the price table
    assert re.search(r"total\s+%.2f\s+USD" % plan3_stage_cost("eks", 1)["monthly"], first["stdout"])

    second = run()
    assert second["changed"] == 0, second["stdout"][-4000:]

    eks, iam = aws("eks"), aws("iam")
    cluster = eks.describe_cluster(name="investment-plan3")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["roleArn"] == iam.get_role(RoleName="investment-plan3-eks-cluster")["Role"]["Arn"]
    assert sorted(cluster["resourcesVpcConfig"]["publicAccessCidrs"]) == sorted(ALLOWED)
    assert cluster["resourcesVpcConfig"]["subnetIds"]
    assert attached(iam, "investment-plan3-eks-cluster") == ["AmazonEKSClusterPolicy"]
    assert attached(iam, "investment-plan3-eks-node") == [
        "AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]
    assert eks.list_nodegroups(clusterName="investment-plan3")["nodegroups"] == ["pool1"]
    group = eks.describe_nodegroup(clusterName="investment-plan3", nodegroupName="pool1")["nodegroup"]
    assert group["amiType"] == "BOTTLEROCKET_x86_64"
    assert group["instanceTypes"] == ["t3.small"]
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 1, "desiredSize": 1}
    assert group["nodeRole"] == iam.get_role(RoleName="investment-plan3-eks-node")["Role"]["Arn"]

    kubeconfig = run.kubedir / "investment-plan3.yaml"
    assert stat.S_IMODE(os.stat(kubeconfig).st_mode) == 0o600
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["clusters"][0]["cluster"]["server"] == cluster["endpoint"]
    assert config["clusters"][0]["cluster"]["certificate-authority-data"] == cluster["certificateAuthority"]["data"]
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][2:] == ["eks", "get-token", "--cluster-name", "investment-plan3", "--output", "json"]
    # the exec plugin works: awscli builds the token (against moto for the caller identity)
    credential = json.loads(subprocess.run([exec_["command"]] + exec_["args"], env=moto["env"], check=True,
                                           capture_output=True, text=True, timeout=60).stdout)
    assert credential["kind"] == "ExecCredential"
    assert credential["status"]["token"].startswith("k8s-aws-v1.")

    # stage 3: a second node group of its own shape
    pools = [{"name": "pool1", "shape": "t3.small", "count": 1}, {"name": "pool2", "shape": "t3.medium", "count": 1}]
    third = run(managed_cluster_stage=3, managed_cluster_node_pools=pools)
    assert third["changed"] > 0
    assert re.search(r"total\s+%.2f\s+USD" % plan3_stage_cost("eks", 3, second_shape="t3.medium")["monthly"],
                     third["stdout"])
    assert sorted(eks.list_nodegroups(clusterName="investment-plan3")["nodegroups"]) == ["pool1", "pool2"]
    assert eks.describe_nodegroup(clusterName="investment-plan3",
                                  nodegroupName="pool2")["nodegroup"]["instanceTypes"] == ["t3.medium"]
    assert run(managed_cluster_stage=3, managed_cluster_node_pools=pools)["changed"] == 0

    # stage 3 as a second cluster (its own node group and kubeconfig)
    second = {"name": "investment-plan3-2", "region": "ap-northeast-2"}
    assert run(managed_cluster_stage=3, managed_cluster_stage3="cluster", managed_cluster_second_cluster=second)["changed"] > 0
    assert sorted(eks.list_clusters()["clusters"]) == ["investment-plan3", "investment-plan3-2"]
    assert eks.list_nodegroups(clusterName="investment-plan3-2")["nodegroups"] == ["pool1"]
    assert stat.S_IMODE(os.stat(run.kubedir / "investment-plan3-2.yaml").st_mode) == 0o600

    # teardown with the stage 3 cluster settings: pool2 of the first cluster is no longer listed
    # there, and is removed all the same (EKS refuses to delete a cluster with node groups)
    gone = run(managed_cluster_state="absent", managed_cluster_stage=3, managed_cluster_stage3="cluster",
               managed_cluster_second_cluster=second)
    assert gone["changed"] > 0
    assert eks.list_clusters()["clusters"] == []
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert "investment-plan3-eks-cluster" not in names and "investment-plan3-eks-node" not in names
    assert not kubeconfig.exists() and not (run.kubedir / "investment-plan3-2.yaml").exists()
    assert run(managed_cluster_state="absent")["changed"] == 0


def test_refused_before_any_call(run, aws):
    with pytest.raises(AssertionError, match="managed_cluster_shape t3.micro has 1 GB"):
        run(managed_cluster_shape="t3.micro")
    with pytest.raises(AssertionError, match="managed_cluster_api_allowed_cidrs contains 0.0.0.0/0"):
        run(managed_cluster_api_allowed_cidrs=["0.0.0.0/0"])
    assert aws("eks").list_clusters()["clusters"] == []
