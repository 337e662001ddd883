"""Bad manifests given to manifest_apply against a real kube-apiserver: refused before anything is
applied, with a message that names the object and where it came from."""
from test_manifest_apply import apply_module, configmap, exists, namespace, write  # pylint: disable=import-error


def test_unknown_kind_refuses_the_whole_set(cluster, tmp_path):
    src = tmp_path / "manifests"
    src.mkdir()
    write(src / "app.yml", namespace("badkind"), configmap("settings", "badkind"),
          {"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "web", "namespace": "badkind"}})
    result = apply_module(cluster, tmp_path, {"src": [str(src)]})
    assert result["failed"] is True
    assert result["msg"] == ("%s (document 3): Deploymnet badkind/web: the API server has no resource type for kind "
                             "Deploymnet in apiVersion apps/v1 (and no CustomResourceDefinition of this set "
                             "defines it)" % (src / "app.yml"))
    assert result.get("changed") is False
    assert not exists(cluster, "namespace", "badkind")  # nothing applied, not even the first objects


def test_unknown_api_version_names_the_object(cluster, tmp_path):
    cluster.kubectl("create", "namespace", "badversion")
    result = apply_module(cluster, tmp_path, {"namespace": "badversion", "definitions": [
        configmap("first"),
        {"apiVersion": "apps/v1beta1", "kind": "Deployment", "metadata": {"name": "old"}}]})
    assert result["failed"] is True
    assert result["msg"].startswith("definitions[1]: Deployment old: the API server has no resource type for kind "
                                    "Deployment in apiVersion apps/v1beta1")
    assert not exists(cluster, "configmap", "first", "-n", "badversion")
