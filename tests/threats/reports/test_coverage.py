"""The area covered (pure): cells within 100 m of a track, each once; the sorting path gives the same."""

import pytest
import shapely

from threats.reports import coverage


@pytest.mark.parametrize("bitmap_limit", [coverage.MAX_BITMAP_CELLS, 1])
def test_cells_within_the_radius_each_once(monkeypatch, bitmap_limit):
    monkeypatch.setattr(coverage, "MAX_BITMAP_CELLS", bitmap_limit)
    middle = shapely.to_wkb(shapely.LineString([(500200, 5550500), (502800, 5550500)]))
    near_edge = shapely.to_wkb(shapely.LineString([(500200, 5560050), (502800, 5560050)]))
    # the same track twice in group a: three cells; 50 m from an edge: the row of cells beyond counts too
    got = coverage.covered_cells(["a", "a", "b"], [middle, middle, near_edge], cell_m=1000, radius_m=100, step_m=100)
    assert got == {"a": 3, "b": 6}
    # 150 m from the edge: beyond the radius
    far = shapely.to_wkb(shapely.LineString([(500200, 5560150), (502800, 5560150)]))
    assert coverage.covered_cells(["c"], [far], cell_m=1000, radius_m=100, step_m=100) == {"c": 3}
    assert coverage.covered_cells([], [], cell_m=1000, radius_m=100, step_m=100) == {}
