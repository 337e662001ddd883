"""The AWX configuration as data (roles/awx_config/defaults): every job template's playbook
exists, every survey is one AWX accepts, the plan options match what the collection's code
accepts, credential type injectors reference their own inputs, and the workflow is
preflight -> plan -> verify. No AWX server: the awx.awx calls themselves are not run here."""
import os
import re
import warnings

import jinja2
import jinja2.meta
import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.investment.orchestration.plugins.module_utils import awx_survey
from ansible_collections.investment.orchestration.plugins.module_utils.placement import PLAN1_TARGETS
from ansible_collections.investment.orchestration.plugins.module_utils.pricing import PROVIDERS

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROLE = os.path.join(ROOT, "roles", "awx_config")
REQUIRED = ("preflight", "compose", "plan1", "plan2", "plan3", "assess", "rollback")
CREDENTIAL_KINDS = ("ssh", "vault", "net", "scm", "cloud", "insights", "kubernetes", "registry", "token", "galaxy", "external")


def trust(x):
    if isinstance(x, str):
        return trust_as_template(x)
    if isinstance(x, list):
        return [trust(i) for i in x]
    if isinstance(x, dict):
        return dict((k, trust(v)) for k, v in x.items())
    return x


@pytest.fixture(scope="module")
def config():
    with open(os.path.join(ROLE, "defaults", "main.yml")) as f:
        raw = yaml.safe_load(f)
    templar = Templar(loader=DataLoader(), variables=trust(raw))
    out = {}
    for key in ("awx_config_job_templates", "awx_config_credential_types", "awx_config_workflow",
                "awx_config_expected_missing", "awx_config_organization"):
        out[key] = templar.template(trust(raw[key]))
    nodes = os.path.join(ROLE, "templates", "workflow_nodes.yml.j2")
    with open(nodes) as f:
        out["workflow_nodes"] = yaml.safe_load(jinja2.Template(f.read()).render(**out))
    return out


def by_name(config):
    return dict((jt["name"], jt) for jt in config["awx_config_job_templates"])


def test_job_templates_and_playbooks(config):
    jts = by_name(config)
    assert len(jts) == len(config["awx_config_job_templates"]), "job template names must be unique"
    assert set(REQUIRED) <= set(jts)
    missing = config["awx_config_expected_missing"]
    assert set(missing) <= set(jt["playbook"] for jt in jts.values()), "expected-missing names no job template's playbook"
    for jt in jts.values():
        assert re.match(r"^playbooks/[a-z0-9_]+\.yml$", jt["playbook"]), jt
        path = os.path.join(ROOT, jt["playbook"])
        if jt["playbook"] in missing:
            if os.path.exists(path):
                warnings.warn("%s exists now: remove it from awx_config_expected_missing" % jt["playbook"])
            continue
        assert os.path.isfile(path), "%s: %s does not exist (and is not expected-missing)" % (jt["name"], jt["playbook"])
        with open(path) as f:
            plays = yaml.safe_load(f)
        assert isinstance(plays, list) and all("hosts" in p or "import_playbook" in p or "ansible.builtin.import_playbook" in p for p in plays)


def test_surveys_are_valid_awx_surveys(config):
    for jt in config["awx_config_job_templates"]:
        if "survey" in jt:
            assert awx_survey.spec_errors(jt["survey"]) == [], jt["name"]


def test_plan_options_match_the_code(config):
    jts = by_name(config)

    def question(jt, var):
        return dict((q["variable"], q) for q in jts[jt]["survey"]["spec"])[var]
    q = question("plan1", "fleet_plan1_target")
    assert q["type"] == "multiplechoice" and sorted(q["choices"]) == sorted(PLAN1_TARGETS)
    q = question("plan3", "fleet_plan3_provider")
    assert sorted(q["choices"]) == sorted(PROVIDERS)
    for var in ("fleet_plan2_data_on_k3s", "fleet_plan2_macro_on_k3s"):
        assert sorted(question("plan2", var)["choices"]) == ["false", "true"]
    with open(os.path.join(ROOT, "inventories", "prod", "group_vars", "all.yml")) as f:
        prod = yaml.safe_load(f)
    assert question("plan1", "fleet_plan1_target")["default"] == prod["fleet_plan1_target"]
    assert question("plan3", "fleet_plan3_provider")["default"] == prod["fleet_plan3_provider"]
    assert question("plan3", "fleet_plan3_stage")["default"] == prod["fleet_plan3_stage"]
    assert question("preflight", "fleet_plan")["choices"] == ["compose", "plan1", "plan2", "plan3"]


def test_assess_survey_answers_become_priorities(config):
    jt = by_name(config)["assess"]
    extra = awx_survey.launch_extra_vars(jt.get("extra_vars"), jt["survey"], {"assess_weight_cost": 7})
    templar = Templar(loader=DataLoader(), variables=trust(extra))
    priorities = templar.template(trust(extra["assess_priorities"]))
    assert priorities == {"stability": 3, "cost": 7, "unification": 1, "managed": 0}
    with pytest.raises(ValueError, match="above 10"):
        awx_survey.launch_extra_vars(jt.get("extra_vars"), jt["survey"], {"assess_weight_cost": 11})


def test_credential_types(config):
    names = [ct["name"] for ct in config["awx_config_credential_types"]]
    assert len(names) == 3 and len(set(names)) == 3
    env = jinja2.Environment()
    for ct in config["awx_config_credential_types"]:
        assert ct["kind"] in CREDENTIAL_KINDS
        fields = [f["id"] for f in ct["inputs"]["fields"]]
        assert len(fields) == len(set(fields))
        assert set(ct["inputs"].get("required", [])) <= set(fields)
        files = [k.split(".", 1)[1] for k in ct["injectors"].get("file", {})]
        for section in ("file", "env", "extra_vars"):
            for key, template in ct["injectors"].get(section, {}).items():
                assert "{{" in template, (ct["name"], key)
                refs = jinja2.meta.find_undeclared_variables(env.parse(template))
                assert refs <= set(fields) | {"tower"}, (ct["name"], key, refs)
                for m in re.finditer(r"tower\.filename(?:\.(\w+))?", template):
                    assert m.group(1) in files, (ct["name"], key)
        secret = [f["id"] for f in ct["inputs"]["fields"] if f.get("secret")]
        assert secret, "%s has no secret input" % ct["name"]
        for value in ct["injectors"].get("extra_vars", {}).values():
            assert not any(s in value for s in secret), "a secret must not go into extra_vars"


def test_workflow_preflight_plan_verify(config):
    wf = config["awx_config_workflow"]
    jts = by_name(config)
    nodes = dict((n["identifier"], n) for n in config["workflow_nodes"])
    for n in nodes.values():
        assert n["unified_job_template"]["name"] in jts
        assert n["unified_job_template"]["organization"]["name"] == config["awx_config_organization"]
    assert nodes["preflight"]["unified_job_template"]["name"] == "preflight"
    assert nodes["plan"]["unified_job_template"]["name"] == wf["plan"]
    assert [x["identifier"] for x in nodes["preflight"]["related"]["success_nodes"]] == ["plan"]
    assert [x["identifier"] for x in nodes["plan"]["related"]["success_nodes"]] == ["verify"]
    assert [x["identifier"] for x in nodes["plan"]["related"]["failure_nodes"]] == ["rollback"]
    assert jts["verify"]["extra_vars"] == {"assess_write_adr": False}
