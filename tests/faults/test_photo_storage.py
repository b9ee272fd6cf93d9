"""Photo storage that cannot be written: a JSON 503 with Retry-After, no partial file, then the retry
stores the photo exactly once.

The storage is made unwritable for real, with chmod. A process with root's powers
(CAP_DAC_OVERRIDE) writes through any mode bits, so when the test finds that chmod does not stop
its own writes it runs the request's file access as an unprivileged user, as a web server runs in
production: setfsuid(2) on the thread that handles the request (the test client runs the view in
the test's thread) changes only the identity the kernel checks file permissions against, for that
thread, and drops root's file capabilities with it; the private root is then a fresh folder owned
by that user. The database is reached over TCP and is not affected.
"""

import ctypes
import ctypes.util
import encodings.unicode_escape  # noqa: F401 - see file_identity
import errno
import hashlib
import io
import os
import shutil
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

from tests.threats.fieldsync.factories import batch, device_client, snare_item
from threats.fieldsync.models import Photo

pytestmark = pytest.mark.django_db

UNPRIVILEGED = 65534  # nobody / nogroup
BODY = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1200  # 307 kB: several reads of the upload
SHA = hashlib.sha256(BODY).hexdigest()


def chmod_stops_writes(directory: Path) -> bool:
    probe = directory / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "file").write_bytes(b"")
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)
    return False


@contextmanager
def file_identity(uid: int, gid: int):
    """This thread's file accesses are checked as uid:gid (setfsuid/setfsgid are per thread).

    What the request imports lazily must be imported before (the Python installation may sit in
    root's home): Django's error log encodes with unicode_escape, imported at the top of this module.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    previous_gid, previous_uid = libc.setfsgid(gid), libc.setfsuid(uid)
    assert libc.setfsuid(-1) == uid  # -1 changes nothing and tells the current one
    try:
        yield
    finally:
        libc.setfsuid(previous_uid)
        libc.setfsgid(previous_gid)


@pytest.fixture
def storage(settings, tmp_path):
    """(private root, the identity the request's file access runs as)."""
    if chmod_stops_writes(tmp_path):
        root, identity = tmp_path / "private", nullcontext
    else:  # root: a folder the unprivileged user owns, outside pytest's 0700 temporary folders
        root = Path(tempfile.mkdtemp(prefix="irbis-photo-faults-"))
        os.chown(root, UNPRIVILEGED, UNPRIVILEGED)
        identity = lambda: file_identity(UNPRIVILEGED, UNPRIVILEGED)  # noqa: E731
    root.mkdir(exist_ok=True)
    settings.IRBIS_PRIVATE_ROOT = root
    try:
        yield root, identity
    finally:
        for folder in [root, *root.rglob("*")]:
            if folder.is_dir():
                folder.chmod(0o755)
        if not str(root).startswith(str(tmp_path)):
            shutil.rmtree(root)


@pytest.fixture
def synced_find(ranger_a, reserve_a, team_a):
    client, device = device_client(ranger_a, reserve_a)
    item = snare_item()
    assert client.post("/api/v1/sync/", batch(device, item), format="json").json()["results"][0]["status"] == "created"
    client.raise_request_exception = False  # answer as the server would, with the error handlers
    return client, item["client_uuid"]


def put(client, record_uuid, identity, **extra):
    with identity():
        return client.generic("PUT", f"/api/v1/sync/photos/{record_uuid}/{SHA}/", BODY, content_type="image/png",
                              **extra)  # fmt: skip


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if not path.is_dir())


def assert_unavailable(response):
    assert response.status_code == 503, response.content[:500]
    assert (response["Content-Type"], response["Retry-After"]) == ("application/json", "30")
    assert response.json()["error"]["code"] == "unavailable"


def test_an_unwritable_photo_folder_answers_503_and_the_retry_stores_the_photo_once(storage, synced_find, reserve_a):
    root, identity = storage
    client, record_uuid = synced_find
    with identity():
        (root / "photos").mkdir()
        (root / "photos").chmod(0o555)

    assert_unavailable(put(client, record_uuid, identity))
    assert (Photo.objects.count(), files_under(root)) == (0, [])

    (root / "photos").chmod(0o755)
    stored = put(client, record_uuid, identity)
    assert stored.status_code == 201, stored.json()
    again = put(client, record_uuid, identity)
    assert (again.status_code, again.json()["created"], Photo.objects.count()) == (200, False, 1)
    path = f"photos/{reserve_a.pk}/{SHA[:2]}/{SHA}.png"
    assert (Photo.objects.get().path, files_under(root)) == (path, [path])
    assert (root / path).read_bytes() == BODY


class MidUpload(io.BytesIO):
    """The phone's body, arriving in reads; `then` runs once the first part has been read."""

    def __init__(self, body: bytes, then):
        super().__init__(body)
        self.then = then

    def read(self, size=-1):
        data = super().read(size)
        if self.then is not None and self.tell() >= 64 * 1024:
            self.then()
            self.then = None
        return data


def test_a_photo_folder_made_read_only_during_the_upload_keeps_no_partial_file(storage, synced_find, reserve_a):
    root, identity = storage
    client, record_uuid = synced_find
    folder = root / "photos" / str(reserve_a.pk) / SHA[:2]
    with identity():
        folder.mkdir(parents=True)

    upload = MidUpload(BODY, then=lambda: folder.chmod(0o555))
    assert_unavailable(put(client, record_uuid, identity, **{"wsgi.input": upload}))
    assert upload.then is None and upload.tell() == len(BODY)  # the folder changed mid-body; all was read
    assert (Photo.objects.count(), files_under(root)) == (0, [])

    folder.chmod(0o755)
    stored = put(client, record_uuid, identity)
    assert stored.status_code == 201, stored.json()
    assert files_under(root) == [f"photos/{reserve_a.pk}/{SHA[:2]}/{SHA}.png"]
    assert Photo.objects.count() == 1


def test_the_unprivileged_identity_really_cannot_write_into_a_read_only_folder(storage):
    """The premise of the two tests above, on this machine and user."""
    root, identity = storage
    with identity():
        (root / "closed").mkdir()
        (root / "closed").chmod(0o555)
        with pytest.raises(PermissionError) as raised:
            (root / "closed" / "file").write_bytes(b"x")
    assert raised.value.errno == errno.EACCES
