import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.investment.orchestration.plugins.filter.quantity import FilterModule

FILTERS = FilterModule().filters()


def test_filters_are_registered():
    assert set(FILTERS) == {"quantity_to_bytes", "quantity_to_mib", "bytes_to_quantity", "quantity_error"}


@pytest.mark.parametrize("value,flavor,expected", [
    ("512Mi", "k8s", 536870912),
    ("768m", "k8s", 1),
    ("768m", "compose", 805306368),
    ("1gb", "compose", 1073741824),
    ("100M", "k8s", 100000000),
    (4096, "k8s", 4096),
])
def test_quantity_to_bytes(value, flavor, expected):
    assert FILTERS["quantity_to_bytes"](value, flavor=flavor) == expected


def test_quantity_to_bytes_defaults_to_kubernetes():
    assert FILTERS["quantity_to_bytes"]("1E3") == 1000


def test_quantity_to_mib():
    assert FILTERS["quantity_to_mib"]("1Gi") == 1024
    assert FILTERS["quantity_to_mib"]("768m", "compose") == 768
    assert FILTERS["quantity_to_mib"]("100M") == 95.3


@pytest.mark.parametrize("value,unit,expected", [
    (805306368, "Mi", "768Mi"),
    ("805306368", "Mi", "768Mi"),
    (1610612736.0, "Gi", "1.5Gi"),
    (-109051904, "Mi", "-104Mi"),
    (65536, "Ki", "64Ki"),
])
def test_bytes_to_quantity(value, unit, expected):
    assert FILTERS["bytes_to_quantity"](value, unit=unit) == expected


@pytest.mark.parametrize("name,args,message", [
    ("quantity_to_bytes", ("12Qi",), "quantity_to_bytes: invalid memory quantity '12Qi'"),
    ("quantity_to_bytes", ("1gb",), "quantity_to_bytes: invalid memory quantity '1gb'"),
    ("quantity_to_bytes", ("1g", "docker"), "unknown quantity flavor 'docker'"),
    ("quantity_to_mib", ("-1Gi",), "quantity_to_mib: invalid memory quantity '-1Gi'"),
    ("bytes_to_quantity", ("512Mi",), "bytes_to_quantity: invalid byte count '512Mi'"),
    ("bytes_to_quantity", (1.5,), "bytes_to_quantity: invalid byte count 1.5"),
    ("bytes_to_quantity", (1024, "MB"), "unknown unit 'MB'"),
])
def test_errors_are_filter_errors(name, args, message):
    with pytest.raises(AnsibleFilterError) as exc:
        FILTERS[name](*args)
    assert message in str(exc.value)
