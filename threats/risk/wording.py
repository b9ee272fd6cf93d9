"""The risk map's words, in the user's language: factor labels, a cell's explanation in a ranger's
words, legend units and run stages.

The pure model (threats/risk/model.py) names its factors with stable English keys and knows no
Django; this module turns those keys into translated labels and sentences for the selectors, views
and serializers. A factor the model adds later without a label here still shows, under its key.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils.formats import get_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# key: (label, what the number measures, the reason when it raises the risk, when it lowers it)
FACTORS: dict[str, tuple[Promise, Promise, Promise, Promise]] = {
    "walking time from access": (
        gettext_lazy("walking time from access"),
        gettext_lazy("hours on foot from the nearest road end, village or border crossing"),
        gettext_lazy("close to road or village access"),
        gettext_lazy("far from roads and villages"),
    ),
    "distance to valley network": (
        gettext_lazy("distance to the valley floor"),
        gettext_lazy("km from the valley floors (streams traced on the elevation model)"),
        gettext_lazy("near the valley floor, where snare lines are usually set"),
        gettext_lazy("away from the valley floors"),
    ),
    "prey: elevation": (
        gettext_lazy("musk deer: elevation"),
        gettext_lazy("musk deer (what the snares are set for) recorded at this elevation"),
        gettext_lazy("at an elevation where musk deer live"),
        gettext_lazy("at an elevation with few musk deer"),
    ),
    "prey: slope": (
        gettext_lazy("musk deer: slope"),
        gettext_lazy("musk deer recorded on slopes this steep"),
        gettext_lazy("on slopes that musk deer use"),
        gettext_lazy("on slopes that musk deer avoid"),
    ),
    "terrain: elevation": (
        gettext_lazy("snare finds: elevation"),
        gettext_lazy("snare finds per patrol effort at this elevation, beyond what the musk deer records say"),
        gettext_lazy("at an elevation where patrols find more snares"),
        gettext_lazy("at an elevation where patrols find fewer snares"),
    ),
    "terrain: slope": (
        gettext_lazy("snare finds: slope"),
        gettext_lazy("snare finds per patrol effort on slopes this steep, beyond what the musk deer records say"),
        gettext_lazy("on slopes where patrols find more snares"),
        gettext_lazy("on slopes where patrols find fewer snares"),
    ),
    "zone": (
        gettext_lazy("management zone"),
        gettext_lazy("snaring in this management zone compared with the others"),
        gettext_lazy("in a management zone with more snaring"),
        gettext_lazy("in a management zone with less snaring"),
    ),
    "nearby finds vs effort": (
        gettext_lazy("snares found nearby"),
        gettext_lazy("snare finds near the cell compared with what patrols there would be expected to find"),
        gettext_lazy("patrols found more snares nearby than expected"),
        gettext_lazy("patrols nearby found fewer snares than expected"),
    ),
}

# A factor moves the estimate by exp(value): below 0.1 (about 10 %) it is not worth a ranger's time.
REASON_FROM = 0.1
MAX_REASONS = 4
# Below this weight of local data the estimate rests mostly on terrain: the cell was rarely patrolled.
UNCERTAIN_BELOW = 0.3

LAYER_UNITS = {
    "snares": gettext_lazy("snare lines set per cell per year"),
    "uncertainty": gettext_lazy("standard deviation, snare lines per cell per year"),
    "leopard": gettext_lazy("snare lines per cell per year × chance of a leopard"),
    "leopard_uncertainty": gettext_lazy("standard deviation of the leopard risk"),
    "effort": gettext_lazy("km of patrol track within 100 m (recent patrols count more)"),
}

STAGES = {
    "starting": gettext_lazy("starting"),
    "reading records": gettext_lazy("reading records"),
    "terrain features": gettext_lazy("terrain features"),
    "fitting the model": gettext_lazy("fitting the model"),
    "fitting the previous period (valley trends)": gettext_lazy("fitting the previous period (valley trends)"),
    "storing layers": gettext_lazy("storing layers"),
    "ranking valleys, drawing map layers": gettext_lazy("ranking valleys, drawing map layers"),
    "done": gettext_lazy("done"),
    "failed": gettext_lazy("failed"),
}


def factor_label(key: str) -> str:
    return str(FACTORS[key][0]) if key in FACTORS else key


def factor_detail(key: str) -> str:
    return str(FACTORS[key][1]) if key in FACTORS else ""


def stage_label(stage: str) -> str:
    return str(STAGES.get(stage, stage))


def layer_unit(layer: str, default: str = "") -> str:
    return str(LAYER_UNITS.get(layer.removesuffix("-generalised"), default))


def nearby_detail(nearby_finds: float, nearby_expected: float) -> str:
    return _("%(found)s finds near the cell where %(expected)s were expected from its terrain and patrols") % {
        "found": number_format(nearby_finds, 2),
        "expected": number_format(nearby_expected, 2),
    }


def amount(value: float) -> str:
    """A number as a ranger reads it: 12, 3.4, 0.83, 0.8 (no trailing zeros), in the user's format."""
    digits = 0 if value >= 10 else 1 if value >= 1 else 2
    text = number_format(round(value, digits), digits)
    if digits:
        text = text.rstrip("0").rstrip(str(get_format("DECIMAL_SEPARATOR")))
    return text


def reasons(contributions: list[dict[str, Any]], data_weight: float | None) -> list[dict[str, str]]:
    """Why the cell stands where it does: the factors that move it by about 10 % or more, biggest
    first (at most MAX_REASONS), and a warning when few patrols came near it."""
    out = []
    for part in contributions:
        value = part["value"]
        if value is None or abs(value) < REASON_FROM or len(out) == MAX_REASONS:
            continue
        key, raises = part["name"], value > 0
        if key in FACTORS:
            text = str(FACTORS[key][2 if raises else 3])
        else:
            text = factor_label(key)
        out.append({"key": key, "effect": "raises" if raises else "lowers", "text": text})
    if data_weight is not None and data_weight < UNCERTAIN_BELOW:
        out.append({
            "key": "data_weight", "effect": "uncertain",
            "text": _("rarely patrolled nearby: the estimate rests mostly on the terrain, not on finds"),
        })  # fmt: skip
    return out


def comparison(intensity: float, layer: np.ndarray) -> tuple[float, str]:
    """The share of the reserve's cells with a lower expected number of snares, and that in words."""
    values = layer[np.isfinite(layer)]
    share = float((values < intensity).mean()) if values.size else 0.5
    if share >= 0.9:
        words = _("among the highest in the reserve")
    elif share >= 0.6:
        words = _("higher than most of the reserve")
    elif share > 0.4:
        words = _("about average for the reserve")
    elif share > 0.1:
        words = _("lower than most of the reserve")
    else:
        words = _("among the lowest in the reserve")
    return share, words


def cell_summary(*, intensity: float, cell_area_m2: float, layer: np.ndarray) -> dict[str, Any]:
    """The explanation's first sentence, e.g. "Snares expected here: about 0.8 snare lines a year per km²
    — higher than most of the reserve.": per km², because a cell of 50 m holds a few thousandths of a line."""
    per_km2 = intensity / (cell_area_m2 / 1e6)
    share, words = comparison(intensity, layer)
    if per_km2 < 0.01:
        expected = _("Snares expected here: hardly any (under 0.01 snare lines a year per km²)")
    else:
        expected = _("Snares expected here: about %(n)s snare lines a year per km²") % {"n": amount(per_km2)}
    return {
        "snare_lines_per_km2": per_km2,
        "share_of_reserve_below": round(share, 4),
        "summary": _("%(expected)s — %(comparison)s.") % {"expected": expected, "comparison": words},
    }
