"""GPX track logs as patrols' actual tracks: every file in ../shared/data/gpx/, the command and the upload page."""

from datetime import UTC, datetime

import gpxpy
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from patrol.patrols.gpx import GpxError, gpx_parse, patrol_track_import
from patrol.patrols.models import Patrol
from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, ReserveFactory

pytestmark = pytest.mark.django_db

from tests.shared_data import GPX_DIR as DATA  # noqa: E402


@pytest.fixture
def slovenian_patrol(db):
    """The sample tracks are in Slovenia: a reserve there, measured in UTM 33N."""
    reserve = ReserveFactory(slug="notranjska", projected_epsg=32633, timezone="Europe/Ljubljana")
    return PatrolFactory(reserve=reserve, track=None, status=Patrol.Status.COMPLETED)


def _gpxpy_length_km(name: str) -> float:
    """An independent length: gpxpy's own 2D haversine length of the track segments."""
    return gpxpy.parse((DATA / name).read_text(encoding="utf-8-sig")).length_2d() / 1000


def test_a_real_timed_track_imports_with_its_length_and_times(slovenian_patrol, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        parsed = patrol_track_import(actor=None, patrol=slovenian_patrol,
                                     content=(DATA / "korita-zbevnica.gpx").read_bytes())  # fmt: skip
    slovenian_patrol.refresh_from_db()
    assert (parsed.points, parsed.segments) == (871, 3)
    assert parsed.warnings == [
        "1 empty or one-point segment(s) skipped.",
        "513 of 871 points have a time: start and end are taken from them.",
    ]
    assert slovenian_patrol.actual_start == datetime(2010, 10, 3, 9, 36, 30, tzinfo=UTC)
    assert slovenian_patrol.actual_end == datetime(2010, 10, 3, 13, 19, 31, tzinfo=UTC)
    assert len(slovenian_patrol.track) == 3
    assert slovenian_patrol.track_length_km == pytest.approx(14.9, abs=0.05)
    assert slovenian_patrol.track_length_km == pytest.approx(_gpxpy_length_km("korita-zbevnica.gpx"), rel=0.003)
    assert slovenian_patrol.version == 2


def test_dummy_1901_timestamps_import_the_track_without_times(slovenian_patrol):
    parsed = gpx_parse((DATA / "Mojstrovka.gpx").read_bytes())
    assert (parsed.points, parsed.segments, parsed.start, parsed.end) == (184, 1, None, None)
    assert parsed.warnings == ["The times (1901-12-13) are dummy dates from a unit without a fix: they were not used."]
    patrol_track_import(actor=None, patrol=slovenian_patrol, content=(DATA / "Mojstrovka.gpx").read_bytes())
    slovenian_patrol.refresh_from_db()
    assert (slovenian_patrol.actual_start, len(slovenian_patrol.track)) == (None, 1)


def test_a_track_without_timestamps_imports_its_lines(slovenian_patrol):
    parsed = gpx_parse((DATA / "cerknicko-without-times.gpx").read_bytes())
    assert (parsed.points, parsed.segments, parsed.start) == (296, 7, None)
    assert parsed.warnings[0] == "1 empty or one-point segment(s) skipped."
    assert parsed.warnings[1].startswith("Only ") and parsed.warnings[1].endswith(
        " points have a time: the patrol's times were left as they were."
    )
    length_km = sum(line.transform(32633, clone=True).length for line in parsed.track) / 1000
    assert length_km == pytest.approx(_gpxpy_length_km("cerknicko-without-times.gpx"), rel=0.003)


def test_an_empty_segment_is_skipped(slovenian_patrol):
    parsed = gpx_parse((DATA / "track-with-empty-segment.gpx").read_bytes())
    assert (parsed.points, parsed.segments) == (9, 1)
    assert parsed.warnings == ["1 empty or one-point segment(s) skipped."]
    assert (parsed.start, parsed.end) == (datetime(2013, 7, 6, 17, 26, 26, tzinfo=UTC),
                                          datetime(2013, 7, 6, 17, 27, 42, tzinfo=UTC))  # fmt: skip


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("route.gpx", "This file holds a route (a planned path), not a recorded track: export the track log from "
                      "the GPS unit instead."),
        ("unicode_with_bom.gpx", "This file holds only 1 waypoint(s), no track."),  # the BOM itself is fine
        ("gpx_with_garmin_extension.gpx", "This file holds only 1 waypoint(s), no track."),
    ],
)  # fmt: skip
def test_files_without_a_track_fail_with_a_clear_message(slovenian_patrol, name, message):
    with pytest.raises(GpxError) as error:
        patrol_track_import(actor=None, patrol=slovenian_patrol, content=(DATA / name).read_bytes())
    assert str(error.value) == message
    slovenian_patrol.refresh_from_db()
    assert (slovenian_patrol.track, slovenian_patrol.version) == (None, 1)


def test_a_file_that_is_not_gpx_fails_clearly():
    with pytest.raises(GpxError) as error:
        gpx_parse(b"\x89PNG\r\n\x1a\n binary")
    assert str(error.value) == "The file is not UTF-8 text: is it a GPX file?"
    with pytest.raises(GpxError) as error:
        gpx_parse(b"<html><body>not gpx</body></html>")
    assert str(error.value) == "This file holds no track."
    with pytest.raises(GpxError) as error:
        gpx_parse("<gpx><trk><trkseg><trkpt lat='x' lon='1'/>")
    assert str(error.value).startswith("Not a readable GPX file: ")


def test_the_command_imports_a_file_and_reports_it(slovenian_patrol, capsys):
    call_command("import_gpx", str(DATA / "korita-zbevnica.gpx"), "--patrol", str(slovenian_patrol.pk))
    out = capsys.readouterr()
    km = Patrol.objects.get().track_length_km
    assert out.out.strip() == (
        f"Patrol {slovenian_patrol.pk}: 871 points in 3 segment(s), {km:.2f} km, 2010-10-03 09:36 to 13:19 UTC."
    )
    assert out.err.splitlines() == [
        "1 empty or one-point segment(s) skipped.",
        "513 of 871 points have a time: start and end are taken from them.",
    ]


def test_the_command_fails_clearly(slovenian_patrol):
    with pytest.raises(CommandError, match=r"^route.gpx: This file holds a route"):
        call_command("import_gpx", str(DATA / "route.gpx"), "--patrol", str(slovenian_patrol.pk))
    with pytest.raises(CommandError, match="^No patrol 999999.$"):
        call_command("import_gpx", str(DATA / "route.gpx"), "--patrol", "999999")


def test_a_manager_uploads_a_track_in_the_web_ui(slovenian_patrol):
    manager = member(slovenian_patrol.reserve, Role.MANAGER, username="boss")
    client = Client()
    client.force_login(manager)
    upload = SimpleUploadedFile("walk.gpx", (DATA / "track-with-empty-segment.gpx").read_bytes())
    response = client.post("/patrols/gpx/", {"patrol": slovenian_patrol.pk, "file": upload}, follow=True)
    assert response.status_code == 200
    slovenian_patrol.refresh_from_db()
    assert slovenian_patrol.actual_start == datetime(2013, 7, 6, 17, 26, 26, tzinfo=UTC)
    assert [str(m) for m in response.context["messages"]] == [
        f"Track imported into {slovenian_patrol}: 9 points in 1 segment(s).",
        "1 empty or one-point segment(s) skipped.",
    ]
    route = SimpleUploadedFile("r.gpx", (DATA / "route.gpx").read_bytes())
    bad = client.post("/patrols/gpx/", {"patrol": slovenian_patrol.pk, "file": route})
    assert bad.status_code == 400
    assert "This file holds a route" in bad.content.decode()


def test_the_upload_page_offers_only_patrols_of_ones_reserves(slovenian_patrol, reserve_b, manager_b):
    client = Client()
    client.force_login(manager_b)
    upload = SimpleUploadedFile("walk.gpx", (DATA / "track-with-empty-segment.gpx").read_bytes())
    response = client.post("/patrols/gpx/", {"patrol": slovenian_patrol.pk, "file": upload})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    slovenian_patrol.refresh_from_db()
    assert slovenian_patrol.track is None


def test_an_analyst_cannot_upload_a_track(slovenian_patrol):
    analyst = member(slovenian_patrol.reserve, Role.ANALYST, username="reader")
    client = Client()
    client.force_login(analyst)
    upload = SimpleUploadedFile("walk.gpx", (DATA / "track-with-empty-segment.gpx").read_bytes())
    response = client.post("/patrols/gpx/", {"patrol": slovenian_patrol.pk, "file": upload})
    assert response.status_code == 403
    slovenian_patrol.refresh_from_db()
    assert slovenian_patrol.track is None


def _gpx_at(*times: str) -> bytes:
    points = "".join(f'<trkpt lat="45.8{i}" lon="14.3{i}"><time>{t}</time></trkpt>' for i, t in enumerate(times))
    return f'<gpx version="1.1" creator="test"><trk><trkseg>{points}</trkseg></trk></gpx>'.encode()


SAME_TIMES = _gpx_at("2013-07-06T17:26:26Z", "2013-07-06T17:26:26Z", "2013-07-06T17:26:26Z")
SAME_TIMES_ERROR = (
    "Every time in this file is the same (2013-07-06 17:26 UTC): it cannot give the patrol's start and end."
)


@pytest.fixture
def ended_patrol(slovenian_patrol):
    """A patrol whose stored end lies before the times in SAME_TIMES."""
    Patrol.objects.filter(pk=slovenian_patrol.pk).update(
        actual_start=datetime(2013, 7, 5, 8, 0, tzinfo=UTC), actual_end=datetime(2013, 7, 5, 16, 0, tzinfo=UTC)
    )
    slovenian_patrol.refresh_from_db()
    return slovenian_patrol


def _unchanged(patrol: Patrol) -> None:
    stored = Patrol.objects.get(pk=patrol.pk)
    assert (stored.track, stored.actual_start, stored.actual_end, stored.version) == (
        None, datetime(2013, 7, 5, 8, 0, tzinfo=UTC), datetime(2013, 7, 5, 16, 0, tzinfo=UTC), patrol.version
    )  # fmt: skip


def test_a_track_whose_times_are_all_equal_is_refused_and_nothing_saved(ended_patrol):
    with pytest.raises(GpxError) as error:
        patrol_track_import(actor=None, patrol=ended_patrol, content=SAME_TIMES)
    assert str(error.value) == SAME_TIMES_ERROR
    _unchanged(ended_patrol)


def test_the_command_refuses_a_track_whose_times_are_all_equal(ended_patrol, tmp_path):
    path = tmp_path / "same.gpx"
    path.write_bytes(SAME_TIMES)
    with pytest.raises(CommandError) as error:
        call_command("import_gpx", str(path), "--patrol", str(ended_patrol.pk))
    assert str(error.value) == f"same.gpx: {SAME_TIMES_ERROR}"
    _unchanged(ended_patrol)


def test_the_upload_page_refuses_a_track_whose_times_are_all_equal(ended_patrol):
    client = Client()
    client.force_login(member(ended_patrol.reserve, Role.MANAGER, username="boss"))
    upload = SimpleUploadedFile("same.gpx", SAME_TIMES)
    response = client.post("/patrols/gpx/", {"patrol": ended_patrol.pk, "file": upload})
    assert response.status_code == 400
    assert "Every time in this file is the same (2013-07-06 17:26 UTC)" in response.content.decode()
    _unchanged(ended_patrol)
