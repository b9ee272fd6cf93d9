import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.shared_data import CAMTRAP_EXAMPLE
from threats.interchange.camtrap import CamtrapError, read_package

EXAMPLE = CAMTRAP_EXAMPLE


@pytest.fixture
def package_copy(tmp_path):
    target = tmp_path / "pkg"
    shutil.copytree(EXAMPLE, target)
    return target


def test_reads_the_camtrap_dp_example():
    package = read_package(EXAMPLE)
    assert (package.name, package.version) == ("camtrap-dp-example-dataset", "1.0.2")
    assert [d.deployment_id for d in package.deployments] == ["00a2c20d", "29b7d356", "577b543a", "62c200a9"]
    assert round(sum(d.trap_days for d in package.deployments), 2) == 73.37
    assert package.problems == []
    assert package.skipped == {"media-level duplicate of an event": 357, "blank": 115, "unknown": 13,
                               "unclassified": 1}  # fmt: skip
    kinds = Counter(o.observation_type for o in package.observations)
    assert kinds == {"animal": 29, "human": 1, "vehicle": 1}
    mallards = [o for o in package.observations if o.scientific_name == "Anas platyrhynchos"]
    assert len(mallards) == 15


def _rewrite(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new, 1))


def test_bad_rows_are_reported_with_file_row_and_column(package_copy):
    _rewrite(package_copy / "deployments.csv", "51.496,4.774", "151.496,4.774")
    _rewrite(package_copy / "observations.csv", "2020-05-30T02:57:37Z", "30/05/2020")
    package = read_package(package_copy)
    messages = [str(p) for p in package.problems]
    assert messages[0] == "deployments.csv, row 1, column latitude: 151.496 is outside -90..90"
    assert "observations.csv, row 1, column deploymentID: '00a2c20d' is not a deployment of this package" in messages
    assert len(package.deployments) == 3


def test_bad_time_is_reported(package_copy):
    _rewrite(package_copy / "observations.csv", "705e6036,00a2c20d,,4bb69c45,2020-05-30T02:57:37Z",
             "705e6036,00a2c20d,,4bb69c45,30/05/2020")  # fmt: skip
    messages = [str(p) for p in read_package(package_copy).problems]
    assert messages[0].startswith("observations.csv, row 1, column eventStart: '30/05/2020' is not an ISO 8601 time")


def test_missing_and_broken_files_fail_clearly(package_copy, tmp_path):
    (package_copy / "observations.csv").unlink()
    package = read_package(package_copy)
    assert [str(p) for p in package.problems] == ["observations.csv: file named in datapackage.json is missing"]

    (package_copy / "datapackage.json").write_text("{not json")
    with pytest.raises(CamtrapError, match=r"datapackage.json: not valid JSON \(Expecting property name"):
        read_package(package_copy)
    with pytest.raises(CamtrapError, match="no datapackage.json"):
        read_package(tmp_path)


def test_reads_camtrap_dp_0_1_6_column_names(package_copy):
    deployments = package_copy / "deployments.csv"
    _rewrite(deployments, "deploymentStart,deploymentEnd", "start,end")
    package = read_package(package_copy)
    assert len(package.deployments) == 4 and package.problems == []
