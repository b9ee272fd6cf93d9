"""The evidence bundle of a case: originals whose hashes match the manifest, custody, and a PDF in EN or RU."""

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from patrol.reserves.models import Role
from tests.conftest import member
from tests.threats.enforcement.factories import (
    CaseFactory,
    CustodyEventFactory,
    EnforcementActionFactory,
    EvidenceItemFactory,
    SuspectFactory,
)
from threats.enforcement.bundle import case_bundle_write

PHOTO = b"\xff\xd8\xff\xe0" + b"snare line photo" * 64
SCAN = b"%PDF-1.4 protocol scan" * 10


@pytest.fixture
def case_with_evidence(reserve_a, manager_a):
    suspect = SuspectFactory(reserve=reserve_a, full_name="Сидоров Пётр Иванович")
    case = CaseFactory(reserve=reserve_a, number="12-7/2026", agency="ОМВД Кош-Агачского района",
                       charges="ст. 258.1 ч. 1 УК РФ")  # fmt: skip
    case.suspects.set([suspect])
    action = EnforcementActionFactory(reserve=reserve_a, case=case, kind="confiscation", place_name="Аргут, устье")
    photo = EvidenceItemFactory(reserve=reserve_a, case=case, kind="photo", content=PHOTO, collected_by=manager_a,
                                collected_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC))  # fmt: skip
    scan = EvidenceItemFactory(reserve=reserve_a, action=action, kind="other", content=SCAN,
                               content_type="application/pdf", collected_by=manager_a,
                               collected_at=datetime(2026, 1, 10, 11, 0, tzinfo=UTC))  # fmt: skip
    snares = EvidenceItemFactory(reserve=reserve_a, case=case, kind="snares", quantity=12,
                                 collected_at=datetime(2026, 1, 10, 12, 0, tzinfo=UTC))  # fmt: skip
    EvidenceItemFactory(reserve=reserve_a, content=b"not in this case")
    CustodyEventFactory(item=photo, kind="handed_over", from_user=manager_a, to_name="Следователь Ким",
                        occurred_at=datetime(2026, 1, 11, 8, 0, tzinfo=UTC))  # fmt: skip
    return case, photo, scan, snares


def _open(stream) -> zipfile.ZipFile:
    with stream:
        return zipfile.ZipFile(io.BytesIO(stream.read()))


def test_the_bundle_holds_the_originals_and_their_hashes_match_the_manifest(case_with_evidence, manager_a):
    case, photo, scan, snares = case_with_evidence
    archive = _open(case_bundle_write(actor=manager_a, case=case, language="en"))
    originals = sorted(n for n in archive.namelist() if n.startswith("originals/"))
    assert originals == sorted([f"originals/{photo.pk}-{photo.sha256}.jpg", f"originals/{scan.pk}-{scan.sha256}.pdf"])
    manifest = json.loads(archive.read("manifest.json"))
    assert [i["id"] for i in manifest["items"]] == [photo.pk, scan.pk, snares.pk]
    for entry in manifest["items"]:
        if entry["file"] is None:
            assert (entry["kind"], entry["quantity"], entry["check"]) == ("snares", 12, "no_file")
            continue
        assert hashlib.sha256(archive.read(entry["file"])).hexdigest() == entry["sha256"] == entry["sha256_now"]
        assert entry["check"] == "ok"
    assert archive.read(f"originals/{photo.pk}-{photo.sha256}.jpg") == PHOTO
    assert hashlib.sha256(PHOTO).hexdigest() == photo.sha256
    rows = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [(r[0], r[6]) for r in rows[1:]] == [(str(photo.pk), photo.sha256), (str(scan.pk), scan.sha256),
                                                (str(snares.pk), "")]  # fmt: skip
    sums = archive.read("SHA256SUMS").decode().splitlines()
    assert sums == [f"{photo.sha256}  originals/{photo.pk}-{photo.sha256}.jpg",
                    f"{scan.sha256}  originals/{scan.pk}-{scan.sha256}.pdf"]  # fmt: skip
    custody = [(c["kind"], c["to"], c["chain_sha256"]) for c in manifest["items"][0]["custody"]]
    assert custody == [("handed_over", "Следователь Ким", photo.custody_events.get().chain_sha256)]
    assert len(custody[0][2]) == 64
    custody_rows = list(csv.reader(io.StringIO(archive.read("custody.csv").decode())))
    assert [(r[0], r[3]) for r in custody_rows[1:]] == [(str(photo.pk), "handed_over")]


def test_the_bundle_names_no_suspect(case_with_evidence, manager_a):
    case = case_with_evidence[0]
    archive = _open(case_bundle_write(actor=manager_a, case=case, language="ru"))
    for name in archive.namelist():
        if name.startswith("originals/"):
            continue
        assert "Сидоров" not in archive.read(name).decode("utf-8", errors="replace"), name
    pdf = PdfReader(io.BytesIO(archive.read("summary.pdf")))
    assert "Сидоров" not in "".join(page.extract_text() for page in pdf.pages)


def test_a_changed_original_is_flagged_and_left_out(case_with_evidence, manager_a, settings):
    case, photo, _scan, _snares = case_with_evidence
    path = settings.IRBIS_PRIVATE_ROOT / photo.path
    path.write_bytes(PHOTO[:-1] + b"\x00")
    manifest = json.loads(_open(case_bundle_write(actor=manager_a, case=case)).read("manifest.json"))
    entry = manifest["items"][0]
    assert (entry["check"], entry["file"], entry["sha256"]) == ("changed", None, photo.sha256)
    assert entry["sha256_now"] == hashlib.sha256(PHOTO[:-1] + b"\x00").hexdigest()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Evidence summary: case 12-7/2026", "Agency", "Handed over", "Charges", "Confiscation"]),
        ("ru", ["Сводка доказательств: дело 12-7/2026", "Орган", "Передано", "Обвинение", "Изъятие",
                "ОМВД Кош-Агачского района", "Следователь Ким"]),
    ],
)  # fmt: skip
def test_the_pdf_renders_in_the_language_asked(case_with_evidence, manager_a, language, words):
    archive = _open(case_bundle_write(actor=manager_a, case=case_with_evidence[0], language=language))
    pdf = archive.read("summary.pdf")
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert hashlib.sha256(archive.read("manifest.json")).hexdigest() in text.replace("\n", "")
    for word in words:
        assert word in text, (word, text)
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts  # embedded fonts, checked by name below
    names = {page["/Resources"]["/Font"][k].get_object()["/BaseFont"] for page in reader.pages
             for k in page["/Resources"]["/Font"]}  # fmt: skip
    assert all("DejaVuSans" in name for name in names), names


def test_only_the_reserves_managers_get_a_bundle(api, case_with_evidence, reserve_a, manager_b):
    case = case_with_evidence[0]
    for user in (member(reserve_a, Role.ANALYST), member(reserve_a, Role.RANGER), manager_b):
        api.force_authenticate(user)
        assert api.get(f"/api/v1/cases/{case.pk}/bundle/").status_code == 404


def test_the_bundle_over_the_api(api, case_with_evidence, manager_a):
    case, photo, _scan, _snares = case_with_evidence
    api.force_authenticate(manager_a)
    response = api.get(f"/api/v1/cases/{case.pk}/bundle/?lang=ru")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="case-{case.pk}-evidence.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.read(f"originals/{photo.pk}-{photo.sha256}.jpg") == PHOTO
    response = api.get(f"/api/v1/cases/{case.pk}/bundle/?lang=de")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"lang": ["Choose one of: en, ru."]}


def test_times_are_the_reserves_local_times(case_with_evidence, manager_a, reserve_a):
    reserve_a.timezone = "Asia/Barnaul"
    reserve_a.save()
    case, photo, _scan, _snares = case_with_evidence
    manifest = json.loads(_open(case_bundle_write(actor=manager_a, case=case)).read("manifest.json"))
    assert manifest["items"][0]["collected_at"] == "2026-01-10 16:00 +07"  # 09:00 UTC
    assert manifest["items"][0]["custody"][0]["occurred_at"] == "2026-01-11 15:00 +07"
