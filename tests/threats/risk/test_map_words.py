"""What the risk map says, in English and Russian: the valley trend ("new", an absolute change, a
percentage only when meaningful) and a cell's explanation in a ranger's words."""

from __future__ import annotations

import math

import numpy as np
import pytest
from django.utils import translation

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import ReserveFactory
from tests.threats.risk.worlds import _lonlat
from threats.risk import wording
from threats.risk.models import RiskRun

pytestmark = pytest.mark.django_db


def _valley(rank, reach_id, name, risk, previous_risk, previous_rank, change_ratio):
    return {
        "rank": rank, "reach_id": reach_id, "name": name, "risk": risk, "previous_risk": previous_risk,
        "previous_rank": previous_rank, "change": round(risk - previous_risk, 6), "change_ratio": change_ratio,
        "trend": "up",
    }  # fmt: skip


def test_the_valley_api_says_new_and_gives_a_percentage_only_when_meaningful(api):
    """The stored summary of a run from before the rule: the API words it by the rule all the same."""
    reserve = ReserveFactory()
    RiskRun.objects.create(reserve=reserve, status=RiskRun.Status.DONE, snares="risk/1/snares.tif", summary={
        "previous_window": ["2026-02-01T00:00:00+00:00", "2026-08-03T00:00:00+00:00"],
        "valleys": [
            _valley(1, 7, "Shavla", 6.0, 4.0, 1, 0.5),
            _valley(2, 3, "Karagem", 0.540001, 0.000002, 9, 270000.5),  # the "+27169122 %" of the issue
            _valley(3, 5, "Yungur", 0.8, 0.5, 2, 0.6),
            _valley(4, 2, "Argut", 0.45, 0.5, 3, -0.1),
        ],
    })  # fmt: skip
    api.force_authenticate(member(reserve, Role.ANALYST))
    body = api.get(f"/api/v1/risk/{reserve.slug}/valleys/").json()
    assert [
        (v["name"], v["trend"], v["change"], v["change_percent"]) for v in body["valleys"]
    ] == [
        ("Shavla", "up", 2.0, 50.0),
        ("Karagem", "new", 0.539999, None),
        ("Yungur", "up", 0.3, None),  # from half a line a year: a percentage would say little
        ("Argut", "steady", -0.05, None),  # less than one line in ten years
    ]  # fmt: skip
    assert all("change_ratio" not in v for v in body["valleys"])
    assert (body["new_below"], body["percent_from"]) == (0.1, 1.0)
    assert body["unit"] == "expected snare lines set per year in the valley"
    russian = api.get(f"/api/v1/risk/{reserve.slug}/valleys/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert russian["unit"] == "ожидаемое число линий петель в год в долине"


@pytest.mark.parametrize(
    ("language", "intensity", "expected"),
    [
        ("en", 0.0022, "Snares expected here: about 0.88 snare lines a year per km² — about average for the reserve."),
        ("en", 0.0123, "Snares expected here: about 4.9 snare lines a year per km² — among the highest in the "
                       "reserve."),
        ("en", 0.00001, "Snares expected here: hardly any (under 0.01 snare lines a year per km²) — among the lowest "
                        "in the reserve."),
        ("ru", 0.0022, "Ожидаемое число линий петель здесь: около 0,88 в год на км² — примерно как в среднем по "
                      "заповеднику."),
    ],
)  # fmt: skip
def test_the_cell_summary_speaks_per_km2_against_the_rest_of_the_reserve(language, intensity, expected):
    layer = np.array([[0.001, 0.002, 0.003, np.nan], [0.0005, 0.0025, 0.004, np.nan]])  # 50 m cells
    with translation.override(language):
        words = wording.cell_summary(intensity=intensity, cell_area_m2=2500.0, layer=layer)
    assert words["summary"] == expected
    assert words["snare_lines_per_km2"] == pytest.approx(intensity * 400)


def test_reasons_name_the_factors_that_matter_biggest_first_and_warn_when_rarely_patrolled():
    contributions = [
        {"name": "walking time from access", "value": 0.9},
        {"name": "prey: elevation", "value": -0.4},
        {"name": "nearby finds vs effort", "value": 0.25},
        {"name": "zone", "value": 0.05},  # about 5 %: not worth a ranger's time
        {"name": "a factor added later", "value": 0.2},
    ]
    with translation.override("en"):  # a request before may have left another language active
        english = wording.reasons(contributions, data_weight=0.12)
    assert english == [
        {"key": "walking time from access", "effect": "raises", "text": "close to road or village access"},
        {"key": "prey: elevation", "effect": "lowers", "text": "at an elevation with few musk deer"},
        {"key": "nearby finds vs effort", "effect": "raises", "text": "patrols found more snares nearby than expected"},
        {"key": "a factor added later", "effect": "raises", "text": "a factor added later"},
        {"key": "data_weight", "effect": "uncertain",
         "text": "rarely patrolled nearby: the estimate rests mostly on the terrain, not on finds"},
    ]  # fmt: skip
    with translation.override("ru"):
        russian = wording.reasons(contributions[:1], data_weight=0.9)
    assert russian == [{"key": "walking time from access", "effect": "raises", "text": "близко к дороге или посёлку"}]


def test_the_explanation_api_speaks_the_users_language_and_keeps_the_numbers(run_a, api):
    reserve = run_a.reserve
    api.force_authenticate(member(reserve, Role.MANAGER, clearance=True))
    url = f"/api/v1/risk/{reserve.slug}/explain/"
    layers = np.load(run_a.explain_layers.path)
    row, col = np.unravel_index(int(np.nanargmax(layers["intensity"])), layers["intensity"].shape)
    x0, dx, _sx, y0, _sy, dy = run_a.grid_geotransform
    lon, lat = _lonlat(x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy)
    english = api.get(url, {"lon": lon, "lat": lat}).json()
    assert english["summary"].startswith("Snares expected here: about ")
    assert english["summary"].endswith(" — among the highest in the reserve.")  # the reserve's top cell
    assert english["share_of_reserve_below"] == pytest.approx(1.0, abs=1e-3)
    assert english["snare_lines_per_km2"] == pytest.approx(english["intensity"] / (dx * dx / 1e6), rel=1e-9)
    assert english["reasons"] == wording.reasons(english["contributions"], english["data_weight"])
    assert english["log_intensity"] == pytest.approx(math.log(english["intensity"]), rel=1e-9)
    labels = {c["name"]: c["label"] for c in english["contributions"]}
    assert labels["walking time from access"] == "walking time from access"
    assert labels["nearby finds vs effort"] == "snares found nearby"
    russian = api.get(url, {"lon": lon, "lat": lat}, HTTP_ACCEPT_LANGUAGE="ru").json()
    assert russian["summary"].startswith("Ожидаемое число линий петель здесь: около ")
    assert russian["summary"].endswith(" — одно из самых высоких в заповеднике.")
    assert [c["name"] for c in russian["contributions"]] == [c["name"] for c in english["contributions"]]
    ru_labels = {c["name"]: c["label"] for c in russian["contributions"]}
    assert ru_labels["walking time from access"] == "время пешком от дорог и посёлков"
    assert ru_labels["nearby finds vs effort"] == "петли, найденные поблизости"
    assert "находок рядом с клеткой" in next(
        c["detail"] for c in russian["contributions"] if c["name"] == "nearby finds vs effort"
    )


def test_the_map_legend_units_and_run_stage_are_translated(run_a, api):
    reserve = run_a.reserve
    RiskRun.objects.create(reserve=reserve, status=RiskRun.Status.RUNNING, progress=35, stage="fitting the model")
    api.force_authenticate(member(reserve, Role.ANALYST))
    body = api.get(f"/api/v1/risk/{reserve.slug}/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert (body["current"]["stage"], body["current"]["stage_label"]) == ("fitting the model", "подгонка модели")
    assert body["overlays"]["layers"]["snares"]["unit"] == "линий петель в клетке за год"
    english = api.get(f"/api/v1/risk/{reserve.slug}/").json()
    assert english["overlays"]["layers"]["snares"]["unit"] == "snare lines set per cell per year"
