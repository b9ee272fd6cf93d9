"""The in-memory inputs of a basins world (tests/simulation/inputs.py) are what the model reads from the
database after the world's package is imported: the fast path tests the same thing as the package path."""

from datetime import UTC, datetime

import numpy as np
import pytest

from patrol.terrain.models import TerrainGrid
from tests.simulation import basins
from tests.simulation.inputs import access_xy, risk_inputs_from_world
from tests.simulation.package import write_package
from threats.interchange.reserve_package import reserve_package_import
from threats.risk.evaluation import pai_against_truth
from threats.risk.features import build_terrain_features
from threats.risk.inputs import first_patrol_time, risk_inputs_build, terrain_features_for
from threats.risk.model import fit_risk

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world():
    return basins.generate(seed=7, size=120, months=4)


def _sorted(events):
    order = np.lexsort((events.x, events.t))
    return np.column_stack([events.x[order], events.y[order], events.t[order], events.weight[order]]), order


def _same_events(a, b, labelled=False):
    assert len(a) == len(b)
    (sa, oa), (sb, ob) = _sorted(a), _sorted(b)
    assert np.allclose(sa[:, :2], sb[:, :2], rtol=0, atol=0.05)  # 7 decimals of a degree: about a centimetre
    assert np.array_equal(sa[:, 2:], sb[:, 2:])
    if labelled:  # the individual of each detection ("" unknown) comes through both paths
        assert list(a.label[oa]) == list(b.label[ob])


def test_the_in_memory_inputs_are_what_the_database_gives_the_model(world, tmp_path):
    write_package(world, tmp_path / "package")
    reserve = reserve_package_import(folder=tmp_path / "package", slug="basins-inputs").reserve
    terrain = TerrainGrid.objects.get(reserve=reserve)
    memory = risk_inputs_from_world(world)
    assert first_patrol_time(reserve.pk).timestamp() == memory.start
    end = datetime.fromtimestamp(world.end, UTC)
    stored = risk_inputs_build(reserve=reserve, terrain=terrain, start=first_patrol_time(reserve.pk), end=end)
    assert (stored.grid, stored.start, stored.end) == (memory.grid, memory.start, memory.end)
    for name in ("snare_finds", "incidents"):
        _same_events(getattr(stored, name), getattr(memory, name))
    for name in ("prey", "leopard"):
        _same_events(getattr(stored, name).camera, getattr(memory, name).camera, labelled=True)
        _same_events(getattr(stored, name).sign, getattr(memory, name).sign, labelled=True)
    known = sorted({str(v) for v in memory.leopard.camera.label} - {""})
    assert len(known) == 4 and (memory.leopard.camera.label != "").sum() == 99
    assert (len(memory.snare_finds), len(memory.incidents), len(memory.leopard.camera)) == (235, 25, 141)
    cams = lambda c: np.array(sorted(zip(c.start, c.end, c.x, c.y, strict=True)))  # noqa: E731
    assert np.allclose(cams(stored.cameras), cams(memory.cameras), rtol=0, atol=0.05)
    assert len(stored.tracks) == len(memory.tracks) == 61
    for a, b in zip(sorted(stored.tracks, key=lambda t: t.t[0]), sorted(memory.tracks, key=lambda t: t.t[0]),
                    strict=True):  # fmt: skip
        assert np.allclose(a.xy, b.xy, rtol=0, atol=0.05)
        assert np.allclose(a.t, b.t, rtol=0, atol=1.0)  # spread by distances a centimetre apart

    # and the model gives the same map from either
    truth = world.truth_intensity.astype(np.float64)
    from_db = fit_risk(stored, terrain_features_for(terrain))
    in_memory = fit_risk(memory, build_terrain_features(world.elevation, grid=world.grid, access_xy=access_xy(world)))
    ratio = lambda fit: pai_against_truth(np.nan_to_num(fit.intensity), truth) / pai_against_truth(truth, truth)  # noqa: E731
    assert abs(ratio(from_db) - ratio(in_memory)) < 0.005
    assert np.allclose(from_db.intensity, in_memory.intensity, rtol=1e-3)
