"""playbooks/assess.yml and playbooks/awx_config.yml without any host or AWX server: syntax,
and bad input refused before anything is measured or sent."""
import os
import subprocess

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(playbook, args, inventory="sandbox", extra=None, env=None):
    cmd = ["ansible-playbook", os.path.join(ROOT, "playbooks", playbook), "-i", os.path.join(ROOT, "inventories", inventory)]
    if extra is not None:
        cmd += ["-e", yaml.safe_dump(extra, default_flow_style=True)]
    e = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    e.update(env or {})
    proc = subprocess.run(cmd + args, cwd=ROOT, env=e, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("playbook", ["assess.yml", "awx_config.yml"])
@pytest.mark.parametrize("inventory", ["prod", "sandbox"])
def test_syntax(playbook, inventory):
    rc, out = run(playbook, ["--syntax-check"], inventory)
    assert rc == 0, out


def test_assess_refuses_a_bad_status_before_measuring():
    rc, out = run("assess.yml", [], extra={"assess_status": "maybe"})
    assert rc != 0
    assert "assess_status" in out and "Measure the memory headroom" not in out, out


def test_awx_config_refuses_a_bad_survey_before_calling_awx():
    bad = {"awx_config_job_templates": [{"name": "plan1", "playbook": "playbooks/plan1.yml", "survey": {
        "name": "Plan 1", "description": "", "spec": [{"question_name": "Region", "variable": "fleet_plan1_target",
                                                       "type": "multiplechoice", "required": True,
                                                       "choices": ["korea", "seoul"], "default": "mumbai"}]}}]}
    rc, out = run("awx_config.yml", [], extra=bad, env={"CONTROLLER_HOST": "https://127.0.0.1:9"})
    assert rc != 0
    assert "plan1:" in out and "not one of the choices" in out, out
    assert "TASK [investment.orchestration.awx_config : Organization]" not in out, out
