"""ansible-builder v3 turns execution-environment.yml into a build context (no image is built,
nothing is pulled): the Containerfile, the collection tarball and the requirements files."""
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)


def load(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return yaml.safe_load(f)


def pinned(name):
    with open(os.path.join(ROOT, "requirements-dev.txt")) as f:
        for line in f:
            if line.split("==")[0].strip().lower() == name:
                return line.split("==")[1].strip()
    raise AssertionError("%s is not pinned in requirements-dev.txt" % name)


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    work = tmp_path_factory.mktemp("ee")
    for name in ("execution-environment.yml", "requirements.txt", "bindep.txt"):
        shutil.copy(os.path.join(ROOT, name), str(work / name))
    (work / "ee").mkdir()
    shutil.copy(os.path.join(ROOT, "ee", "requirements.yml"), str(work / "ee" / "requirements.yml"))
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path",
                    str(work / "ee" / "dist"), ROOT], check=True, stdout=subprocess.PIPE)
    out = subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", str(work / "execution-environment.yml"),
                          "-c", str(work / "context"), "--output-filename", "Containerfile"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert out.returncode == 0, out.stdout
    return work / "context"


def test_builder_version_is_the_pinned_one():
    out = subprocess.run([os.path.join(BIN, "ansible-builder"), "--version"], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True)
    assert out.stdout.strip() == pinned("ansible-builder")


def test_containerfile(context):
    ee = load("execution-environment.yml")
    assert ee["version"] == 3
    text = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % ee["images"]["base_image"]["name"] in text
    assert "FROM $EE_BASE_IMAGE AS base" in text
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]*)"', text).group(1).split()
    assert sorted(refs) == sorted(["ansible-core==%s" % pinned("ansible-core"), "ansible-runner==%s" % pinned("ansible-runner")])
    assert "COPY _build/collections/ /build/collections/" in text
    assert "ansible-galaxy collection install" in text and "-r requirements.yml" in text
    assert "introspect" in text and "--user-pip=requirements.txt" in text and "--user-bindep=bindep.txt" in text


def test_build_files(context):
    build = context / "_build"
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        assert (build / "requirements.txt").read_text() == f.read()
    with open(os.path.join(ROOT, "bindep.txt")) as f:
        assert (build / "bindep.txt").read_text() == f.read()
    names = set(re.split(r"[<>=\s]", line)[0].lower() for line in (build / "requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#"))
    assert {"kubernetes", "docker", "boto3", "oci", "pyyaml", "awxkit"} <= names


def test_collection_tarball_and_galaxy_requirements(context):
    galaxy = load("galaxy.yml")
    tarball = "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])
    reqs = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert reqs["collections"] == [{"name": "/build/collections/" + tarball, "type": "file"}]
    path = context / "_build" / "collections" / tarball
    with tarfile.open(str(path)) as tar:
        members = set(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (galaxy["namespace"], galaxy["name"], galaxy["version"])
    assert info["dependencies"] == galaxy["dependencies"]
    for needed in ("plugins/modules/adr_entry.py", "plugins/modules/fleet_probe.py", "playbooks/assess.yml",
                   "roles/assess/tasks/main.yml", "meta/execution-environment.yml", "requirements.txt", "bindep.txt"):
        assert needed in members, needed
    assert not any(m.startswith("collections/") for m in members)  # the checkout's self-link stays out


def test_collection_dependencies_match_requirements_yml():
    galaxy = load("galaxy.yml")["dependencies"]
    reqs = dict((c["name"], c["version"]) for c in load("requirements.yml")["collections"])
    assert reqs == galaxy
