"""A bad inventory or bad extra vars must stop playbooks/compose.yml before any change, with a
message that names the host and the variable.

These runs use the sandbox inventory without any sandbox container: the validation play runs
only controller-side checks, so reaching the message proves that nothing touched a host.
"""
import os
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECOND_PLAY = "PLAY [Docker Compose on every host]"
SECRETS = {"postgres_password": "pw-not-logged-1", "redis_password": "pw-not-logged-2"}


def run_playbook(args, inventory=None, extra=None):
    cmd = ["ansible-playbook", os.path.join(ROOT, "playbooks", "compose.yml"),
           "-i", inventory or os.path.join(ROOT, "inventories", "sandbox")]
    if extra is not None:
        cmd += ["-e", yaml.safe_dump(extra, default_flow_style=True)]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(cmd + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def inventory(tmp_path):
    """A private copy of the sandbox inventory that a test may break."""
    dst = tmp_path / "sandbox"
    shutil.copytree(os.path.join(ROOT, "inventories", "sandbox"), dst, symlinks=False)
    return dst


def edit_host(inventory, host, **changes):
    path = inventory / "host_vars" / ("%s.yml" % host)
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data))


def assert_refused(rc, out, *needles):
    assert rc != 0, out
    assert SECOND_PLAY not in out, "a change could have been made:\n" + out
    for needle in needles:
        assert needle in out, "%r not in output:\n%s" % (needle, out)


def test_unknown_host_role(inventory):
    edit_host(inventory, "oracle3", fleet_role="cache")
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    assert_refused(rc, out, "oracle3: compose_stack_role (from fleet_role) is 'cache'")


def test_missing_secret():
    rc, out = run_playbook([], extra={"compose_stack_secrets": {"postgres_password": "x"}})
    assert_refused(rc, out, "oracle1: compose_stack_secrets.redis_password is missing or empty",
                   "oracle2: compose_stack_secrets.redis_password is missing or empty")


def test_empty_secret():
    rc, out = run_playbook([], extra={"compose_stack_secrets": dict(SECRETS, postgres_password="")})
    assert_refused(rc, out, "oracle1: compose_stack_secrets.postgres_password is missing or empty")


def test_malformed_image_reference(inventory):
    edit_host(inventory, "oracle2", compose_stack_images={
        "backend": "local/Standin-backend:sandbox", "prediction-service": "local/p:1",
        "data-collector": "local/c:1", "nginx": "local/n:1"})
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    assert_refused(rc, out, "oracle2: compose_stack_images['backend'] = 'local/Standin-backend:sandbox'",
                   "must be lowercase")


def test_image_with_empty_tag(inventory):
    edit_host(inventory, "aws-seoul", compose_stack_images={"frontend": "local/frontend:", "nginx": "local/n:1"})
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    assert_refused(rc, out, "aws-seoul: compose_stack_images['frontend']", "malformed")


def test_invalid_state_is_refused_by_the_argument_spec():
    rc, out = run_playbook([], extra={"compose_stack_secrets": SECRETS, "compose_stack_state": "gone"})
    assert_refused(rc, out, "compose_stack_state", "present, absent")


def test_app_without_data_host(inventory):
    edit_host(inventory, "oracle2", compose_stack_data_host="")
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    assert_refused(rc, out, "oracle2: the app stack needs compose_stack_data_host")


def test_secret_values_never_printed():
    rc, out = run_playbook(["-vvv"], extra={"compose_stack_secrets": dict(SECRETS, redis_password="")})
    assert_refused(rc, out, "compose_stack_secrets.redis_password is missing or empty")
    assert SECRETS["postgres_password"] not in out


@pytest.mark.parametrize("inventory_name", ["prod", "sandbox"])
def test_syntax_check(inventory_name):
    rc, out = run_playbook(["--syntax-check"], os.path.join(ROOT, "inventories", inventory_name))
    assert rc == 0, out
