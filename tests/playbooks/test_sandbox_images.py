"""The sandbox's single-node Kubernetes imports Flux's controllers only where Flux runs (plan 2):
plan 1 needs no Flux build, so CI runs its scenario while the Flux controllers build
(sandbox/prepare-kube.sh core). Controller-side only: placement and debug contact no host."""
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLAY = """
- name: Place the plan
  hosts: fleet
  gather_facts: false
  roles:
    - role: investment.orchestration.placement
      placement_plan: {plan}
  tasks:
    - name: Show the images
      ansible.builtin.debug:
        msg: "IMAGES {{{{ inventory_hostname }}}} {{{{ kube_node_images | to_json }}}}"
"""


def images_by_host(tmp_path, plan):
    play = tmp_path / "play.yml"
    play.write_text(PLAY.format(plan=plan))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    proc = subprocess.run(["ansible-playbook", str(play), "-i", os.path.join(ROOT, "inventories", "sandbox")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = {}
    for line in proc.stdout.splitlines():
        key, sep, value = line.strip().partition(": ")
        if sep and key == '"msg"' and value.startswith('"IMAGES '):
            host, images = json.loads(value).split(" ", 2)[1:]
            found[host] = [os.path.basename(i) for i in json.loads(images)]
    assert sorted(found) == ["aws-seoul", "oracle1", "oracle2", "oracle3"], proc.stdout
    return found


@pytest.mark.parametrize("plan", ["plan1", "compose"])
def test_no_flux_images_outside_plan2(tmp_path, plan):
    for host, images in images_by_host(tmp_path, plan).items():
        assert "coredns-1.15.0.tar" in images and "pause-3.10.tar" in images, (host, images)
        assert not [i for i in images if i.startswith("flux-")], (host, images)


def test_plan2_imports_flux_everywhere(tmp_path):
    for host, images in images_by_host(tmp_path, "plan2").items():
        assert "flux-source-controller-1.8.5.tar" in images, (host, images)
        assert "flux-kustomize-controller-1.9.0.tar" in images, (host, images)
