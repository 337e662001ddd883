"""The EKS path of the managed_cluster role against a local moto server: built, run again
without change, grown to stage 3, torn down. See conftest.py: no call leaves the machine."""
import json
import os
import re
import stat
import subprocess
import time

import pytest
import yaml

from ansible_collections.investment.orchestration.plugins.module_utils.pricing import plan3_stage_cost

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ALLOWED = ["198.51.100.7/32", "203.0.113.0/24"]
PLAYBOOK = """
- name: managed_cluster against moto
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: investment.orchestration.managed_cluster
"""


@pytest.fixture(scope="module")
def network(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.%d.0/24" % i,
                                 AvailabilityZone="ap-northeast-2" + az)["Subnet"]["SubnetId"]
               for i, az in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="plan3-cluster", Description="plan 3")["GroupId"]
    return {"subnets": subnets, "security_groups": [sg]}


@pytest.fixture(scope="module")
def run(moto, network, tmp_path_factory):
    work = tmp_path_factory.mktemp("eks")
    playbook = work / "site.yml"
    playbook.write_text(PLAYBOOK)
    kubedir = work / "kube"
    times = []

    def run(**extra):
        variables = {
            "managed_cluster_provider": "eks", "managed_cluster_region": "ap-northeast-2",
            "managed_cluster_api_allowed_cidrs": ALLOWED,
            "managed_cluster_eks_subnets": network["subnets"],
            "managed_cluster_eks_security_groups": network["security_groups"],
            "managed_cluster_kubeconfig_dir": str(kubedir),
        }
        variables.update(extra)
        (work / "vars.json").write_text(json.dumps(variables))
        start = time.monotonic()
        proc = subprocess.run(["ansible-playbook", str(playbook), "-e", "@" + str(work / "vars.json")],
                              cwd=ROOT, env=moto["env"], capture_output=True, text=True, timeout=600, check=False)
        times.append(round(time.monotonic() - start, 1))
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        recap = re.search(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)", proc.stdout)
        return {"changed": int(recap.group(2)), "stdout": proc.stdout}

    run.kubedir = kubedir
    run.times = times
    yield run
    print("\nansible-playbook run times (s):", times)


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

    gone = run(managed_cluster_state="absent", managed_cluster_stage=3, managed_cluster_node_pools=pools)
    assert gone["changed"] > 0
    assert eks.list_clusters()["clusters"] == []
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert "investment-plan3-eks-cluster" not in names and "investment-plan3-eks-node" not in names
    assert not kubeconfig.exists()


def test_refused_before_any_call(run, aws):
    with pytest.raises(AssertionError, match="managed_cluster_shape t3.micro has 1 GB"):
        run(managed_cluster_shape="t3.micro")
    with pytest.raises(AssertionError, match="managed_cluster_api_allowed_cidrs contains 0.0.0.0/0"):
        run(managed_cluster_api_allowed_cidrs=["0.0.0.0/0"])
    assert aws("eks").list_clusters()["clusters"] == []
