"""roles/kube_node/files/archive-refs.py: the references an image archive holds, named as
containerd names them (the import stamps kube_node compares with `ctr images ls`)."""
import importlib.util
import io
import json
import os
import tarfile

import pytest

PATH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "kube_node", "files", "archive-refs.py")
spec = importlib.util.spec_from_file_location("archive_refs", PATH)
archive_refs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(archive_refs)


def make_tar(path, members):
    with tarfile.open(path, "w") as tar:
        for name, doc in members.items():
            data = json.dumps(doc).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


@pytest.mark.parametrize("ref, expected", [
    ("busybox:latest", "docker.io/library/busybox:latest"),
    ("local/pause:3.10", "docker.io/local/pause:3.10"),
    ("registry.example.invalid/investment/backend:1.0.0", "registry.example.invalid/investment/backend:1.0.0"),
    ("localhost/x:1", "localhost/x:1"),
    ("reg:5000/x:1", "reg:5000/x:1"),
    ("docker.io/local/coredns:1.15.0", "docker.io/local/coredns:1.15.0"),
])
def test_normalize(ref, expected):
    assert archive_refs.normalize(ref) == expected


def test_docker_save_archive_lists_every_tag(tmp_path):
    path = make_tar(tmp_path / "a.tar", {"manifest.json": [
        {"RepoTags": ["local/standin-redis:sandbox", "local/standin-nginx:sandbox"]},
        {"RepoTags": ["local/standin-redis:sandbox"]}, {"RepoTags": None}]})
    assert archive_refs.refs(path) == ["docker.io/local/standin-nginx:sandbox", "docker.io/local/standin-redis:sandbox"]


def test_oci_layout_archive_uses_the_name_annotations(tmp_path):
    path = make_tar(tmp_path / "b.tar", {"index.json": {"manifests": [
        {"annotations": {"io.containerd.image.name": "docker.io/local/traefik:3.6.12"}},
        {"annotations": {"org.opencontainers.image.ref.name": "3.6.12"}},  # a bare tag names nothing
        {"annotations": {}}]}})
    assert archive_refs.refs(path) == ["docker.io/local/traefik:3.6.12"]


def test_archive_without_names_lists_nothing(tmp_path):
    path = make_tar(tmp_path / "c.tar", {"index.json": {"manifests": []}})
    assert archive_refs.refs(path) == []
