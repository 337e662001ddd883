import oci
import pytest
from oke_stub import StubContainerEngine, deserialize, load

from ansible_collections.investment.orchestration.plugins.module_utils.oke import OkeError, OkeManager, check_node_pool

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaatestcompartment"
CLUSTER = {"name": "investment-plan3", "kubernetes_version": "1.34", "type": "BASIC_CLUSTER",
           "vcn_id": "ocid1.vcn.oc1.ap-chuncheon-1.aaaaaaaatestvcn",
           "endpoint_subnet_id": "ocid1.subnet.oc1.ap-chuncheon-1.aaaaaaaatestapi",
           "service_lb_subnet_ids": ["ocid1.subnet.oc1.ap-chuncheon-1.aaaaaaaatestlb"]}
POOL = {"name": "pool1", "shape": "VM.Standard.E4.Flex", "ocpus": 1, "memory_gb": 4, "size": 2,
        "image_id": "ocid1.image.oc1.ap-chuncheon-1.aaaaaaaatestimage", "boot_volume_gb": 50,
        "subnet_id": "ocid1.subnet.oc1.ap-chuncheon-1.aaaaaaaatestnodes",
        "availability_domain": "Uocm:AP-CHUNCHEON-1-AD-1", "labels": {"investment/pool": "pool1"}}


def manager(stub, **kwargs):
    slept = []
    mgr = OkeManager(stub, oci.container_engine.models, COMPARTMENT, sleep=slept.append, poll_interval=5, **kwargs)
    mgr.slept = slept
    return mgr


def converge(stub, pools=(POOL,), **kwargs):
    mgr = manager(stub, **kwargs)
    cluster = mgr.ensure_cluster(CLUSTER)
    for pool in pools:
        mgr.ensure_node_pool(cluster, pool)
    return mgr, cluster


def test_fixtures_deserialize_into_sdk_models():
    cluster = deserialize(load("cluster.json"), "Cluster")
    assert isinstance(cluster, oci.container_engine.models.Cluster)
    assert cluster.endpoints.public_endpoint == "203.0.113.40:6443"
    pool = deserialize(load("node_pool.json"), "NodePool")
    assert pool.node_shape_config.memory_in_gbs == 4.0
    assert pool.node_config_details.placement_configs[0].availability_domain == "Uocm:AP-CHUNCHEON-1-AD-1"


def test_create_waits_for_active_then_second_run_changes_nothing():
    stub = StubContainerEngine()
    mgr, cluster = converge(stub)
    assert mgr.changed and mgr.actions == ["create cluster investment-plan3 (BASIC_CLUSTER, v1.34.2)",
                                           "create node pool pool1 (2 x VM.Standard.E4.Flex)"]
    assert cluster.lifecycle_state == "ACTIVE" and mgr.slept == [5, 5]  # waited once for each
    sent = dict(stub.calls)["create_cluster"]
    assert sent["type"] == "BASIC_CLUSTER" and sent["kubernetesVersion"] == "v1.34.2"
    assert sent["endpointConfig"] == {"subnetId": CLUSTER["endpoint_subnet_id"], "isPublicIpEnabled": True}
    assert sent["options"]["serviceLbSubnetIds"] == CLUSTER["service_lb_subnet_ids"]
    pool = dict(stub.calls)["create_node_pool"]
    assert pool["nodeShapeConfig"] == {"ocpus": 1.0, "memoryInGBs": 4.0}
    assert pool["nodeConfigDetails"]["size"] == 2
    assert pool["nodeSourceDetails"]["bootVolumeSizeInGBs"] == 50
    assert pool["initialNodeLabels"] == [{"key": "investment/pool", "value": "pool1"}]

    before = len(stub.mutations())
    again = converge(stub)[0]
    assert not again.changed and again.actions == []
    assert len(stub.mutations()) == before
    assert again.diff["before"] == again.diff["after"]


def test_check_mode_creates_nothing_and_reports_the_diff():
    stub = StubContainerEngine()
    mgr, cluster = converge(stub, check_mode=True)
    assert cluster is None and mgr.changed
    assert stub.mutations() == []
    assert mgr.diff["before"] == {"cluster": None, "node_pool pool1": None}
    assert mgr.diff["after"]["node_pool pool1"]["size"] == 2


def test_resize_updates_only_the_node_config():
    stub = StubContainerEngine()
    converge(stub)
    mgr = converge(stub, pools=[dict(POOL, size=3)])[0]
    assert mgr.actions == ["update node pool pool1: size"]
    update = [c for c in stub.calls if c[0] == "update_node_pool"][-1][1]
    assert set(update) == {"nodeConfigDetails"} and update["nodeConfigDetails"]["size"] == 3
    assert converge(stub, pools=[dict(POOL, size=3)])[0].changed is False


def test_check_mode_on_existing_reports_the_change_without_making_it():
    stub = StubContainerEngine()
    converge(stub)
    mgr = converge(stub, pools=[dict(POOL, memory_gb=8)], check_mode=True)[0]
    assert mgr.actions == ["update node pool pool1: memory_gb"]
    assert "update_node_pool" not in stub.mutations()


@pytest.mark.parametrize("changes,message", [
    ({"memory_gb": 1}, r"node_pools\[pool1\] shape VM.Standard.E4.Flex has 1 GB of memory; .* at least 2 GB"),
    ({"shape": "VM.Standard.E2.1.Micro"}, "E2.1.Micro has 1 GB"),
    ({"shape": "VM.Standard.A1.Flex", "memory_gb": None}, "set its memory_gb"),
    ({"shape": "t3.small"}, "is an AWS shape"),
    ({"size": None}, "size is required"),
])
def test_node_pool_refused_before_any_call(changes, message):
    stub = StubContainerEngine()
    with pytest.raises(OkeError, match=message):
        converge(stub, pools=[dict(POOL, **changes)])
    assert "create_node_pool" not in stub.mutations()
    with pytest.raises(OkeError, match=message):
        check_node_pool(dict(POOL, **changes))


def test_a1_flex_pool():
    stub = StubContainerEngine()
    converge(stub, pools=[dict(POOL, name="arm", shape="VM.Standard.A1.Flex", ocpus=2, memory_gb=12)])
    sent = dict(stub.calls)["create_node_pool"]
    assert sent["nodeShape"] == "VM.Standard.A1.Flex" and sent["nodeShapeConfig"]["memoryInGBs"] == 12.0


def test_upgrade_and_refused_downgrade():
    stub = StubContainerEngine()
    converge(stub, pools=[])
    mgr = manager(stub)
    with pytest.raises(OkeError, match="cannot downgrade"):
        mgr.ensure_cluster(dict(CLUSTER, kubernetes_version="v1.33.1"))
    with pytest.raises(OkeError, match="1.30 is not offered"):
        mgr.ensure_cluster(dict(CLUSTER, kubernetes_version="1.30"))


def test_enhanced_type_is_an_update():
    stub = StubContainerEngine()
    converge(stub, pools=[])
    mgr = manager(stub)
    mgr.ensure_cluster(dict(CLUSTER, type="ENHANCED_CLUSTER"))
    assert mgr.actions == ["update cluster investment-plan3: type"]
    with pytest.raises(OkeError, match="cannot turn it back"):
        manager(stub).ensure_cluster(CLUSTER)


def test_kubeconfig_is_the_generated_one():
    stub = StubContainerEngine()
    mgr, cluster = converge(stub)
    text = mgr.kubeconfig(cluster)
    assert cluster.id in text and "generate-token" in text
    assert dict(stub.calls)["create_kubeconfig"] == {"tokenVersion": "2.0.0", "endpoint": "PUBLIC_ENDPOINT"}


def test_absent_deletes_pools_first_then_cluster_and_is_idempotent():
    stub = StubContainerEngine()
    converge(stub, pools=[POOL, dict(POOL, name="pool2", size=1)])
    mgr = manager(stub)
    mgr.ensure_absent("investment-plan3")
    assert mgr.actions == ["delete node pool pool1", "delete node pool pool2", "delete cluster investment-plan3"]
    assert stub.mutations()[-3:] == ["delete_node_pool", "delete_node_pool", "delete_cluster"]
    again = manager(stub)
    again.ensure_absent("investment-plan3")
    assert not again.changed


def test_wait_times_out():
    stub = StubContainerEngine()
    clock = iter(range(0, 10000, 100))
    mgr = OkeManager(stub, oci.container_engine.models, COMPARTMENT, sleep=lambda s: None, wait_timeout=50,
                     clock=lambda: next(clock))
    stub.reads = type("Never", (dict,), {"get": lambda self, k, d=0: -100})()
    with pytest.raises(OkeError, match="still CREATING after 50s"):
        mgr.ensure_cluster(CLUSTER)


def test_duplicate_cluster_names_refused():
    stub = StubContainerEngine()
    converge(stub, pools=[])
    first = next(iter(stub.clusters.values()))
    stub.clusters["dup"] = dict(first, id="dup")
    with pytest.raises(OkeError, match="2 clusters named investment-plan3"):
        manager(stub).ensure_cluster(CLUSTER)
