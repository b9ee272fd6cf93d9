"""PUT /api/v1/sync/photos/<record client UUID>/<sha256>/: verified, kept byte for byte, idempotent, scoped."""

import hashlib
import struct
import zlib
from pathlib import Path

import pytest

from patrol.reserves.models import Role
from tests.conftest import member
from tests.patrol.factories import PatrolFactory, TeamFactory
from tests.threats.fieldsync.factories import batch, device_client, snare_item
from threats.fieldsync.models import Photo

pytestmark = pytest.mark.django_db


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny, grey) PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png_bytes()
PNG_SHA = hashlib.sha256(PNG).hexdigest()


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.IRBIS_PRIVATE_ROOT = tmp_path / "private"
    return settings.IRBIS_PRIVATE_ROOT


@pytest.fixture
def synced_find(ranger_a, reserve_a, team_a):
    client, device = device_client(ranger_a, reserve_a)
    item = snare_item()
    assert client.post("/api/v1/sync/", batch(device, item), format="json").json()["results"][0]["status"] == "created"
    return client, item["client_uuid"]


def put(client, record_uuid, body, sha=None, content_type="image/png", **headers):
    return client.generic("PUT", f"/api/v1/sync/photos/{record_uuid}/{sha or hashlib.sha256(body).hexdigest()}/",
                          body, content_type=content_type, **headers)  # fmt: skip


def test_a_photo_is_kept_byte_for_byte_under_the_private_root(synced_find, private_root, ranger_a):
    client, record_uuid = synced_find
    response = put(client, record_uuid, PNG, HTTP_X_ORIGINAL_SHA256="ab" * 32, HTTP_X_DOWNSCALED="1")
    assert response.status_code == 201, response.json()
    photo = Photo.objects.get()
    assert response.json() == {"id": photo.pk, "record_uuid": record_uuid, "sha256": PNG_SHA,
                               "size_bytes": len(PNG), "created": True}  # fmt: skip
    assert (photo.record_kind, photo.sha256, photo.original_sha256, photo.downscaled) == (
        "snare_find",
        PNG_SHA,
        "ab" * 32,
        True,
    )
    assert (photo.content_type, photo.size_bytes, photo.uploaded_by) == ("image/png", len(PNG), ranger_a)
    stored = Path(private_root) / photo.path
    assert stored.read_bytes() == PNG
    assert photo.path == f"photos/{photo.reserve_id}/{PNG_SHA[:2]}/{PNG_SHA}.png"


def test_a_re_upload_is_a_no_op(synced_find):
    client, record_uuid = synced_find
    first = put(client, record_uuid, PNG)
    again = put(client, record_uuid, PNG)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["created"] is False
    assert Photo.objects.count() == 1


def test_a_photo_whose_bytes_do_not_match_its_hash_is_refused(synced_find, private_root):
    client, record_uuid = synced_find
    response = put(client, record_uuid, PNG, sha="0" * 64)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "hash_mismatch",
        "message": f"The photo's SHA-256 is {PNG_SHA}, not {'0' * 64}.",
        "fields": {},
    }
    assert Photo.objects.count() == 0
    assert [p for p in Path(private_root).rglob("*") if p.is_file()] == []


def test_a_photo_over_the_size_limit_is_refused(synced_find, settings):
    settings.IRBIS_SYNC_MAX_PHOTO_BYTES = 50
    client, record_uuid = synced_find
    big = PNG + b"\x00" * 100
    response = put(client, record_uuid, big)
    assert response.status_code == 413
    assert response.json()["error"] == {"code": "too_large", "message": "A photo may have at most 50 bytes.",
                                        "fields": {}}  # fmt: skip
    assert Photo.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"GIF89a....", "image/gif", "Photos must be one of: image/jpeg, image/png, image/webp."),
        (b"%PDF-1.4 not an image", "image/jpeg", "The bytes are not a image/jpeg image."),
        (PNG, "image/jpeg", "The bytes are not a image/jpeg image."),
    ],
)
def test_photos_of_other_types_are_refused(synced_find, body, content_type, message):
    client, record_uuid = synced_find
    response = put(client, record_uuid, body, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["error"] == {"code": "unsupported_type", "message": message, "fields": {}}
    assert Photo.objects.count() == 0


def test_a_bad_sha256_in_the_url_is_refused(synced_find):
    client, record_uuid = synced_find
    response = put(client, record_uuid, PNG, sha="xyz")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"sha256": ["A SHA-256 is 64 hexadecimal characters."]}


def test_a_photo_for_an_unknown_record_is_404(synced_find):
    client, _record_uuid = synced_find
    response = put(client, "5b0f4b8e-0000-4000-8000-000000000000", PNG)
    assert response.status_code == 404
    assert Photo.objects.count() == 0


def test_a_member_of_reserve_b_cannot_upload_to_a_record_of_reserve_a(synced_find, manager_b, reserve_b):
    _client, record_uuid = synced_find
    other, _device = device_client(manager_b, reserve_b)
    response = put(other, record_uuid, PNG)
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert Photo.objects.count() == 0


def test_a_ranger_cannot_upload_to_another_teams_record(reserve_a, team_a):
    other_team_ranger = member(reserve_a, Role.RANGER, username="other_team_ranger")
    other_patrol = PatrolFactory(reserve=reserve_a, team=TeamFactory(reserve=reserve_a, members=[other_team_ranger]))
    owner, owner_device = device_client(other_team_ranger, reserve_a)
    item = snare_item(patrol=other_patrol.pk)
    owner.post("/api/v1/sync/", batch(owner_device, item), format="json")
    stranger = member(reserve_a, Role.RANGER, username="stranger")
    client, _device = device_client(stranger, reserve_a)
    assert put(client, item["client_uuid"], PNG).status_code == 404
    assert put(owner, item["client_uuid"], PNG).status_code == 201
