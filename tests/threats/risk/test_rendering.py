"""Map overlays: colour scales that cannot divide by zero."""

import numpy as np

from threats.risk.rendering import RAMPS, colour_scale, colourise


def test_a_layer_whose_values_differ_by_a_rounding_error_gets_a_scale_and_an_image():
    # Percentiles one unit in the last place apart: log(hi / lo) was 0, and the risk run failed.
    lo = 0.1
    values = np.array([[lo, np.nextafter(lo, 1.0)], [np.nan, 0.0]])
    scale = colour_scale(values)
    assert scale == (lo, lo * 10)
    rgba = colourise(values, RAMPS["uncertainty"], *scale)
    assert rgba.shape == (2, 2, 4)
    assert rgba[1, 0, 3] == rgba[1, 1, 3] == 0  # nodata and zero stay transparent
    assert rgba[0, 0, 3] == 70  # the bottom of the ramp


def test_colourise_with_an_empty_span_paints_every_positive_cell_at_the_top():
    rgba = colourise(np.array([[0.5, 0.0]]), RAMPS["snares"], 0.5, 0.5)
    assert (rgba[0, 0, 3], rgba[0, 1, 3]) == (230, 0)
