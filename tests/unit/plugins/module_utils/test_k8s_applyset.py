import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.k8s_applyset import (
    ADDITIONAL_NAMESPACES_ANNOTATION,
    GROUP_KINDS_ANNOTATION,
    ID_LABEL,
    PART_OF_LABEL,
    TOOLING_ANNOTATION,
    ApplySet,
    applyset_id,
    group_kind,
    members_summary,
    parent_field_manager,
    split_group_kind,
    tooling_name,
)

# Known answer computed by kubectl v1.34.4 itself (tests/integration_k8s/test_manifest_apply.py
# test_applyset_matches_kubectl recomputes it on every run):
#   KUBECTL_APPLYSET=true kubectl apply --server-side --prune --applyset=myset -n demo -f ...
# labelled the parent Secret demo/myset with this id and these annotations.
KUBECTL_PARENT = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {
        "name": "myset",
        "namespace": "demo",
        "labels": {ID_LABEL: "applyset-RJUuy2zSnXxK_xQykfqf5eXkZLN6BWTWH0jVynAhBfw-v1"},
        "annotations": {
            ADDITIONAL_NAMESPACES_ANNOTATION: "",
            GROUP_KINDS_ANNOTATION: "ConfigMap,Deployment.apps,Namespace",
            TOOLING_ANNOTATION: "kubectl/v1.34.4",
        },
    },
    "type": "Opaque",
}


def test_id_known_answer_from_kubectl():
    assert applyset_id("myset", "demo", "Secret", "") == KUBECTL_PARENT["metadata"]["labels"][ID_LABEL]
    assert ApplySet("myset", "demo", tooling="kubectl/v1.34.4").id == KUBECTL_PARENT["metadata"]["labels"][ID_LABEL]


def test_id_format_and_inputs():
    ident = applyset_id("web", "investment")
    assert ident.startswith("applyset-") and ident.endswith("-v1")
    body = ident[len("applyset-"):-len("-v1")]
    assert len(body) == 43 and "=" not in body and "+" not in body and "/" not in body  # base64url, no padding
    # every part of <name>.<namespace>.<kind>.<group> counts
    assert len({applyset_id("web", "investment"), applyset_id("web", "other"), applyset_id("web2", "investment"),
                applyset_id("web", "investment", "ConfigMap")}) == 4
    assert ApplySet("web", "investment", "ConfigMap", "t/1").id == applyset_id("web", "investment", "ConfigMap")


@pytest.mark.parametrize("api_version,kind,expected", [
    ("v1", "ConfigMap", "ConfigMap"),
    ("apps/v1", "Deployment", "Deployment.apps"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "CustomResourceDefinition.apiextensions.k8s.io"),
    ("example.com/v1alpha1", "Widget", "Widget.example.com"),
])
def test_group_kind_strings(api_version, kind, expected):
    assert group_kind(api_version, kind) == expected
    assert split_group_kind(expected) == (api_version.rpartition("/")[0], kind)


def test_parent_patch_matches_kubectl():
    aset = ApplySet("myset", "demo", tooling="kubectl/v1.34.4")
    patch = aset.parent_patch(["Namespace", "Deployment.apps", "ConfigMap", "ConfigMap"], ["demo"])
    assert patch["metadata"]["labels"] == KUBECTL_PARENT["metadata"]["labels"]
    assert patch["metadata"]["annotations"] == KUBECTL_PARENT["metadata"]["annotations"]
    assert (patch["apiVersion"], patch["kind"], patch["metadata"]["name"], patch["metadata"]["namespace"]) == \
        ("v1", "Secret", "myset", "demo")


def test_additional_namespaces_leave_out_the_parents():
    aset = ApplySet("s", "team", tooling="investment.orchestration/0.1.0")
    patch = aset.parent_patch(["ConfigMap"], ["zeta", "team", "alpha", "alpha"])
    assert patch["metadata"]["annotations"][ADDITIONAL_NAMESPACES_ANNOTATION] == "alpha,zeta"
    assert patch["metadata"]["annotations"][TOOLING_ANNOTATION] == "investment.orchestration/0.1.0"


def test_read_parent_of_kubectl():
    aset = ApplySet("myset", "demo", tooling="kubectl/v1.99.0")
    assert aset.read_parent(KUBECTL_PARENT) == (["ConfigMap", "Deployment.apps", "Namespace"], ["demo"])
    assert aset.read_parent(None) == ([], [])
    parent = {"metadata": dict(KUBECTL_PARENT["metadata"], annotations=dict(
        KUBECTL_PARENT["metadata"]["annotations"], **{ADDITIONAL_NAMESPACES_ANNOTATION: "b,a", GROUP_KINDS_ANNOTATION: ""}))}
    assert aset.read_parent(parent) == ([], ["a", "b", "demo"])


@pytest.mark.parametrize("change,message", [
    ({"tooling": "investment.orchestration/0.1.0"},
     "ApplySet parent Secret demo/myset already exists and is managed by tooling 'kubectl' instead of "
     "'investment.orchestration'"),
    ({"annotation": TOOLING_ANNOTATION}, "is missing required annotation applyset.kubernetes.io/tooling"),
    ({"annotation": GROUP_KINDS_ANNOTATION}, "lacks the applyset.kubernetes.io/contains-group-kinds annotation"),
    ({"label": "x"}, "has incorrect value for label applyset.kubernetes.io/id (got: x, want: applyset-RJUuy2"),
    ({"label": None}, "does not have required label applyset.kubernetes.io/id"),
])
def test_read_parent_refuses_foreign_parents(change, message):
    aset = ApplySet("myset", "demo", tooling=change.get("tooling", "kubectl/v1"))
    meta = {"labels": dict(KUBECTL_PARENT["metadata"]["labels"]),
            "annotations": dict(KUBECTL_PARENT["metadata"]["annotations"])}
    if "annotation" in change:
        del meta["annotations"][change["annotation"]]
    if "label" in change:
        if change["label"] is None:
            del meta["labels"][ID_LABEL]
        else:
            meta["labels"][ID_LABEL] = change["label"]
    with pytest.raises(ValueError) as exc:
        aset.read_parent({"metadata": meta})
    assert message in str(exc.value)


def test_label_member():
    aset = ApplySet("s", "ns", tooling="t/1")
    obj = {"metadata": {"name": "x", "labels": {"app": "x"}}}
    assert aset.label_member(obj)["metadata"]["labels"] == {"app": "x", PART_OF_LABEL: aset.id}
    assert aset.label_member({"metadata": {"name": "y"}})["metadata"]["labels"] == {PART_OF_LABEL: aset.id}
    with pytest.raises(ValueError, match="a member of another ApplySet"):
        aset.label_member({"metadata": {"name": "z", "labels": {PART_OF_LABEL: "applyset-other-v1"}}})
    assert aset.selector() == "%s=%s" % (PART_OF_LABEL, aset.id)


@pytest.mark.parametrize("args,message", [
    (("s", "ns", "Deployment", "t/1"), "must be one of Secret, ConfigMap"),
    (("s", "", "Secret", "t/1"), "namespace is required"),
    (("", "ns", "Secret", "t/1"), "needs a name"),
    (("s", "ns", "Secret", "kubectl"), "tooling must be <tool>/<version>"),
    (("s", "ns", "Secret", "kubectl/"), "tooling must be <tool>/<version>"),
])
def test_bad_parent(args, message):
    with pytest.raises(ValueError, match=message):
        ApplySet(*args)


def test_tooling_and_field_manager():
    assert tooling_name("kubectl/v1.34.4") == "kubectl"
    assert parent_field_manager("kubectl/v1.34.4") == "kubectl-applyset"
    assert parent_field_manager("investment.orchestration/0.1.0") == "investment.orchestration-applyset"


def test_members_summary():
    objs = [{"apiVersion": "v1", "kind": "Namespace", "namespace": None},
            {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "b"},
            {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "a"},
            {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "a"}]
    assert members_summary(objs) == (["ConfigMap", "Deployment.apps", "Namespace"], ["a", "b"])
