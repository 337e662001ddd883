"""Secrets stay secret on the converged sandbox fleet (issue 9):

* the sandbox secrets (inventories/sandbox: password lookups under $IO_CACHE/sandbox-secrets) appear
  in no log under /LOG, in no host's journal or process list, and in no file outside the 0600
  root-owned env files; every credential file (env file, token, kubeconfig) is 0600 root:root;
* a run of playbooks/compose.yml in check mode with --diff and -vvv, seeded with new unique secret
  values, prints neither value (and reaches the secrets.env task with them: it reports a change);
* the molecule log of this run (scripts/test.sh tees it to $IO_CACHE/logs) holds no secret.

The values are handed to grep on stdin (docker exec -i), never on a command line.
"""
import os
import subprocess
import uuid

import pytest
import yaml
from conftest import HOSTS, ROLES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CACHE = os.environ.get("IO_CACHE", "/var/cache/io-orch")
SECRET_DIR = os.path.join(CACHE, "sandbox-secrets")
SECRET_KEYS = ("postgres_password", "redis_password")
# Where credentials live under the plans (Compose env files; k3s token and kubeconfigs).
CREDENTIAL_DIRS = "/opt/investment /etc/rancher /var/lib/rancher/k3s/server /root/.kube"
CREDENTIAL_NAMES = r"\( -name '*.env' -o -name token -o -name node-token -o -name 'k3s.yaml' " \
                   r"-o -name '*kubeconfig*' -o -name config \)"


@pytest.fixture(scope="module")
def secrets():
    values = []
    for key in SECRET_KEYS:
        with open(os.path.join(SECRET_DIR, key)) as f:
            value = f.read().split()[0]  # the password lookup may append " salt=..."
        assert len(value) >= 16, key
        values.append(value)
    return values


def on_host(name, script, stdin=""):
    proc = subprocess.run(["docker", "exec", "-i", name, "bash", "-c", script], input=stdin,
                          capture_output=True, text=True, timeout=300, check=False)
    return proc


@pytest.mark.parametrize("name", HOSTS)
def test_no_secret_in_logs_journal_or_processes(secrets, name):
    proc = on_host(name, "grep -rlF -f /dev/stdin /LOG || true", "\n".join(secrets) + "\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", "a secret is written in: %s" % proc.stdout
    proc = on_host(name, "exec 3<&0; { journalctl --no-pager -q 2>/dev/null; ps -eo args; } </dev/null "
                         "| grep -cF -f /dev/fd/3 || true", "\n".join(secrets) + "\n")
    assert proc.stdout.strip() == "0", "%s lines of the journal or process list hold a secret" % proc.stdout.strip()


@pytest.mark.parametrize("name", HOSTS)
def test_secret_only_in_private_env_files(secrets, name):
    proc = on_host(name, "grep -rlF -f /dev/stdin /opt /etc /root /LOG 2>/dev/null | xargs -r stat -c '%a %U %G %n'",
                   "\n".join(secrets) + "\n")
    files = [line.split(" ", 3) for line in proc.stdout.splitlines() if line.strip()]
    for mode, user, group, path in files:
        assert path.endswith(".env") and path.startswith("/opt/investment/"), path
        assert (mode, user, group) == ("600", "root", "root"), path
    if ROLES[name] in ("data", "app"):
        assert [f[3] for f in files] == ["/opt/investment/%s/secrets.env" % ROLES[name]]
    else:
        assert files == []


@pytest.mark.parametrize("name", HOSTS)
def test_credential_files_are_0600_root(name):
    proc = on_host(name, "find %s -type f %s -exec stat -c '%%a %%U %%G %%n' {} + 2>/dev/null || true"
                   % (CREDENTIAL_DIRS, CREDENTIAL_NAMES))
    for line in proc.stdout.splitlines():
        mode, user, group, path = line.split(" ", 3)
        assert (mode, user, group) == ("600", "root", "root"), line


def test_check_mode_diff_and_vvv_print_no_seeded_secret(tmp_path):
    seeded = {key: "seeded%s" % uuid.uuid4().hex for key in SECRET_KEYS}
    extra = tmp_path / "secrets.yml"
    extra.write_text(yaml.safe_dump({"compose_stack_secrets": seeded}))
    os.chmod(str(extra), 0o600)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-playbook", os.path.join(ROOT, "playbooks", "compose.yml"),
                           "-i", os.path.join(ROOT, "inventories", "sandbox"), "--check", "--diff", "-vvv",
                           "-e", "@%s" % extra], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    for key, value in seeded.items():
        assert value not in out, "%s printed" % key
    # the new values did reach the env file's template: it would change on both hosts
    task = out.split("TASK [investment.orchestration.compose_stack : Write the secrets env file]", 1)[1]
    task = task.split("TASK [", 1)[0]
    assert "changed: [oracle1]" in task and "changed: [oracle2]" in task, task


def test_molecule_log_holds_no_secret(secrets):
    log = os.path.join(CACHE, "logs", "molecule-compose.log")
    if not os.path.exists(log):
        pytest.skip("no molecule log at %s (molecule run outside scripts/test.sh)" % log)
    with open(log, errors="replace") as f:
        text = f.read()
    assert "PLAY RECAP" in text  # the converge of this run is in it
    for i, value in enumerate(secrets):
        assert value not in text, "%s in %s" % (SECRET_KEYS[i], log)
