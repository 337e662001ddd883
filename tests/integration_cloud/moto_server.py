"""A local moto server for the plan 3 EKS tests (TEST HARNESS ONLY, never used by the roles).

    python moto_server.py PORT

It binds 127.0.0.1 only and loads the AWS managed IAM policies (AmazonEKSClusterPolicy...).
One deviation from plain moto, to make moto answer like real AWS: EKS node groups created
without an updateConfig get the default AWS gives them ({"maxUnavailable": 1}). moto 5.2.5
stores none, and community.aws.eks_nodegroup then fails on its second run with
KeyError: 'updateConfig' (../shared/harness-notes.md, "EKS against moto").
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

if __name__ == "__main__":
    main(["-H", "127.0.0.1", "-p", sys.argv[1]])
