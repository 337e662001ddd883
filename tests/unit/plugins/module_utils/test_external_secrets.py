import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.external_secrets import (
    ExternalSecretsError,
    render_external_secrets,
)

KEYS = {"redis_password": "investment/redis", "postgres_password": {"key": "investment/db", "property": "password"}}
VAULT = "ocid1.vault.oc1.ap-chuncheon-1.aaaaaaaatestvault"


def test_aws_secrets_manager():
    store, secret = render_external_secrets("aws", "investment-app", "app-secrets", KEYS,
                                            {"region": "ap-northeast-2"})
    assert (store["apiVersion"], store["kind"], store["metadata"]["name"]) == (
        "external-secrets.io/v1", "SecretStore", "aws-secrets-manager")
    assert store["spec"]["provider"]["aws"] == {
        "service": "SecretsManager", "region": "ap-northeast-2",
        "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets"}}}}
    assert secret["kind"] == "ExternalSecret" and secret["metadata"]["namespace"] == "investment-app"
    assert secret["spec"]["secretStoreRef"] == {"name": "aws-secrets-manager", "kind": "SecretStore"}
    assert secret["spec"]["target"] == {"name": "app-secrets", "creationPolicy": "Owner"}
    assert secret["spec"]["data"] == [
        {"secretKey": "postgres_password", "remoteRef": {"key": "investment/db", "property": "password"}},
        {"secretKey": "redis_password", "remoteRef": {"key": "investment/redis"}}]


def test_oci_vault_workload_and_instance_principal():
    store = render_external_secrets("oci", "investment-app", "app-secrets", KEYS,
                                    {"region": "ap-chuncheon-1", "vault_ocid": VAULT})[0]
    assert store["metadata"]["name"] == "oci-vault"
    assert store["spec"]["provider"]["oracle"] == {
        "vault": VAULT, "region": "ap-chuncheon-1", "principalType": "Workload",
        "serviceAccountRef": {"name": "external-secrets"}}
    store = render_external_secrets("oci", "investment-app", "app-secrets", KEYS,
                                    {"region": "ap-chuncheon-1", "vault_ocid": VAULT,
                                     "principal_type": "InstancePrincipal"})[0]
    assert "serviceAccountRef" not in store["spec"]["provider"]["oracle"]


def test_no_value_is_rendered():
    text = repr(render_external_secrets("aws", "ns", "app-secrets", KEYS, {"region": "ap-northeast-2"}))
    assert "investment/db" in text and "password" in text  # references only: names, not values


@pytest.mark.parametrize("args,options,message", [
    (("gcp", "ns", "t", KEYS), {"region": "r"}, "backend 'gcp'"),
    (("aws", "Bad_NS", "t", KEYS), {"region": "r"}, "namespace 'Bad_NS'"),
    (("aws", "ns", "t", {}), {"region": "r"}, "keys must map"),
    (("aws", "ns", "t", KEYS), {}, "region is required"),
    (("oci", "ns", "t", KEYS), {"region": "r"}, "vault_ocid None"),
    (("oci", "ns", "t", KEYS), {"region": "r", "vault_ocid": VAULT, "principal_type": "User"}, "principal_type"),
    (("aws", "ns", "t", {"k": {"property": "p"}}), {"region": "r"}, "keys.k needs key"),
    (("aws", "ns", "t", {"bad key": "x"}), {"region": "r"}, "'bad key' is not a Secret key"),
    (("aws", "ns", "t", KEYS), {"region": "r", "vault": "x"}, "unknown options: vault"),
])
def test_refused(args, options, message):
    with pytest.raises(ExternalSecretsError, match=message):
        render_external_secrets(*args, options=options)
