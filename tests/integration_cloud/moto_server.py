"""A local moto server for the plan 3 EKS tests (TEST HARNESS ONLY, never used by the roles).

    python moto_server.py PORT

It binds 127.0.0.1 only and loads the AWS managed IAM policies (AmazonEKSClusterPolicy...).
Two deviations from plain moto 5.2.5, each making moto answer as real AWS does:
- EKS node groups created without an updateConfig get the default AWS gives them
  ({"maxUnavailable": 1}). moto stores none, and community.aws.eks_nodegroup then fails on its
  second run with KeyError: 'updateConfig' (../shared/harness-notes.md, "EKS against moto").
- UpdateClusterConfig merges resourcesVpcConfig into the cluster's (AWS changes only the fields
  given, e.g. publicAccessCidrs); moto replaces the whole dict, dropping subnetIds, and
  community.aws.eks_cluster then fails with KeyError: 'subnetIds'.
- ListTagsForResource answers for node groups too (moto lists cluster tags only, and
  community.aws.eks_nodegroup with tags fails its second run with ResourceNotFoundException).
"""
import os
import sys

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from moto.eks import models  # noqa: E402
from moto.server import main  # noqa: E402

_nodegroup_init = models.Nodegroup.__init__


def _nodegroup_init_with_update_config(self, *args, **kwargs):
    _nodegroup_init(self, *args, **kwargs)
    if not self.update_config:
        self.update_config = {"maxUnavailable": 1}


models.Nodegroup.__init__ = _nodegroup_init_with_update_config

_update_cluster_config = models.EKSBackend.update_cluster_config


def _update_cluster_config_merging(self, name, resources_vpc_config, *args, **kwargs):
    cluster = self.clusters.get(name)
    if cluster is not None and resources_vpc_config:
        resources_vpc_config = dict(cluster.resources_vpc_config or {}, **resources_vpc_config)
    return _update_cluster_config(self, name, resources_vpc_config, *args, **kwargs)


models.EKSBackend.update_cluster_config = _update_cluster_config_merging

_list_tags = models.EKSBackend.list_tags_for_resource


def _list_tags_with_nodegroups(self, resource_arn):
    for cluster in self.clusters.values():
        for nodegroup in cluster.nodegroups.values():
            if nodegroup.arn == resource_arn:
                return nodegroup.tags
    return _list_tags(self, resource_arn)


models.EKSBackend.list_tags_for_resource = _list_tags_with_nodegroups

if __name__ == "__main__":
    main(["-H", "127.0.0.1", "-p", sys.argv[1]])
