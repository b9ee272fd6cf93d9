"""`manage.py report`: the JSON's shape and figures, CSV and PDF (English and Russian), bad input."""

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from tests.patrol.factories import PatrolFactory, ReserveFactory, TeamFactory
from tests.threats.factories import IncidentFactory, SnareFindFactory

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
REQUIRED = ["patrols", "patrol_days", "distance_km", "hours", "snare_finds", "snares", "cpue_per_100km",
            "cpue_per_patrol_day", "incidents", "actions", "cases_opened", "cases_closed"]  # fmt: skip


@pytest.fixture
def reserve():
    reserve = ReserveFactory(slug="cmd", name="Argut", timezone="UTC")
    team = TeamFactory(reserve=reserve, name="Team North")
    patrol = PatrolFactory(reserve=reserve, team=team, actual_start=datetime(2026, 1, 10, 8, tzinfo=UTC),
                           actual_end=datetime(2026, 1, 10, 18, tzinfo=UTC), track_length_km=16.0)  # fmt: skip
    SnareFindFactory(reserve=reserve, patrol=patrol, count=4, found_at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    SnareFindFactory(reserve=reserve, count=2, found_at=datetime(2026, 2, 3, 12, tzinfo=UTC))  # no effort in Feb
    IncidentFactory(reserve=reserve, occurred_at=datetime(2026, 1, 11, tzinfo=UTC))
    return reserve


def test_json_has_every_figure_for_the_period_and_each_group(reserve, tmp_path):
    out = tmp_path / "r.json"
    call_command("report", "--reserve", "cmd", "--start", "2026-01-01", "--end", "2026-03-31", "--by", "month",
                 "--format", "json", "--out", str(out))  # fmt: skip
    report = json.loads(out.read_text())
    assert report["period"] == {"kind": "quarter", "first": "2026-01-01", "last": "2026-03-31", "label": "2026 Q1"}
    assert report["previous_period"]["label"] == "2025 Q4"
    assert [g["key"] for g in report["groups"]] == ["2026-01", "2026-02", "2026-03"]
    for figures in [report["totals"], report["previous"], *report["groups"]]:
        assert set(REQUIRED) <= set(figures)
    jan, feb, _mar = report["groups"]
    assert {k: jan[k] for k in REQUIRED} == {
        "patrols": 1, "patrol_days": 1.0, "distance_km": 16.0, "hours": 10.0, "snare_finds": 1, "snares": 4,
        "cpue_per_100km": 25.0, "cpue_per_patrol_day": 4.0, "incidents": 1, "actions": 0, "cases_opened": 0,
        "cases_closed": 0,
    }  # fmt: skip
    assert (feb["snares"], feb["cpue_per_100km"], feb["cpue_per_patrol_day"], feb["no_effort"]) == (2, None, None, True)
    assert report["totals"]["snares"] == 6
    assert "suspect" not in out.read_text().lower()


def test_csv_says_no_effort_in_the_language_asked(reserve, tmp_path):
    out = tmp_path / "r.csv"
    call_command("report", "--reserve", "cmd", "--start", "2026-02-01", "--end", "2026-02-28", "--format", "csv",
                 "--language", "ru", "--out", str(out))  # fmt: skip
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    by_key = {row[1]: row for row in rows[2:]}
    # February beside January (4 snares on 16 km)
    assert by_key["snares"][3:] == ["2", "4"]
    assert by_key["cpue_per_100km"][3:] == ["нет усилий", "25"]
    assert rows[1][2] == "Показатель"


@pytest.mark.parametrize(("language", "words"), [("en", ["Patrols", "Snares found"]),
                                                  ("ru", ["Патрули", "Найдено петель"])])  # fmt: skip
def test_pdf_renders_with_its_language(reserve, tmp_path, language, words):
    out = tmp_path / "r.pdf"
    call_command("report", "--reserve", "cmd", "--start", "2026-01-01", "--end", "2026-01-31", "--format", "pdf",
                 "--language", language, "--by", "team", "--out", str(out))  # fmt: skip
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    for word in words:
        assert word in text
    assert "Team North" in text
    assert b"DejaVuSans" in data  # the font is embedded, so Cyrillic shows on any reader


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reserve", "nope", "--start", "2026-01-01", "--end", "2026-01-31"], "No reserve with slug 'nope'"),
        (["--reserve", "cmd", "--start", "2026-13-01", "--end", "2026-01-31"], "--start must be a date"),
        (["--reserve", "cmd", "--start", "2026-02-01", "--end", "2026-01-31"], "--end is before --start"),
        (["--reserve", "cmd", "--start", "0001-01-01", "--end", "0001-01-31"], "from 1990 to 2100"),
        (["--reserve", "cmd", "--start", "2026-01-01", "--end", "2026-01-31", "--scope", "team", "--scope-id", "x"],
         "No such team"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error(reserve, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("report", *args, "--out", str(tmp_path / "r.json"))
    assert not (tmp_path / "r.json").exists()
