"""Photos of synced records, stored byte for byte as evidence."""

import contextlib
import errno
import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from patrol.reserves.access import membership_require
from threats.enforcement.models import EnforcementAction, EvidenceItem
from threats.enforcement.services import evidence_item_create
from threats.fieldsync.models import Device, Photo
from threats.fieldsync.parsing import PHOTO_KINDS, Kind
from threats.fieldsync.selectors import photo_get, synced_record_get


class PhotoRejected(Exception):
    """code: one of too_large, unsupported_type, hash_mismatch, invalid."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/webp": (b"RIFF",)}


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def _looks_like(content_type: str, head: bytes) -> bool:
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return any(head.startswith(magic) for magic in MAGIC.get(content_type, ()))


def _open_unnamed(directory: Path) -> tuple[int, str | None]:
    """A new file in `directory` for the bytes on their way: unnamed (O_TMPFILE) where the system can,
    so that it vanishes by itself if anything stops the upload; else a named temporary file."""
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
        try:
            return os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o600), None
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
    return tempfile.mkstemp(dir=directory)


def _name_unnamed(fd: int, target: Path) -> None:
    """Give the unnamed file `fd` its name (linkat through /proc, following the link: CPython calls
    plain link(), which would not, unless a directory descriptor is given)."""
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(f"/proc/self/fd/{fd}", target.name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=True)
    except FileExistsError:
        pass  # content-addressed, and only ever named once whole: the same bytes are there already
    finally:
        os.close(folder)


def _store_verified(stream: BinaryIO, target: Path, *, sha256: str, content_type: str, limit: int,
                    too_large: PhotoRejected) -> int:  # fmt: skip
    """Copy the stream to `target` if its bytes are whole and match; returns their size.

    Nothing partial is ever left behind: the bytes go to an unnamed file in the target's folder that is
    given its name only once complete and synced (a rejected photo, a full disk, a folder made
    read-only during the upload, even a killed process leave no file). Storage errors (OSError with
    ENOSPC, EROFS, EACCES...) propagate: the API answers them with a 503 and Retry-After.
    """
    fd, named = _open_unnamed(target.parent)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise too_large
                if len(head) < 16:
                    head = (head + chunk)[:16]
                digest.update(chunk)
                out.write(chunk)
            if size == 0:
                raise PhotoRejected("invalid", _("The photo is empty."))
            if digest.hexdigest() != sha256:
                raise PhotoRejected("hash_mismatch", _("The photo's SHA-256 is %(got)s, not %(sent)s.")
                                    % {"got": digest.hexdigest(), "sent": sha256})  # fmt: skip
            if not _looks_like(content_type, head):
                raise PhotoRejected(
                    "unsupported_type", _("The bytes are not a %(type)s image.") % {"type": content_type}
                )
            out.flush()
            os.fsync(fd)
        if named is None:
            _name_unnamed(fd, target)
        else:
            os.replace(named, target)
            named = None
    finally:
        os.close(fd)
        if named is not None:
            with contextlib.suppress(OSError):
                os.unlink(named)
    return size


def photo_store(*, actor: Any, device: Device, record_uuid: uuid.UUID, sha256: str, content_type: str,
                stream: BinaryIO, declared_size: int | None, original_sha256: str = "",
                downscaled: bool = False) -> tuple[Photo, bool]:  # fmt: skip
    """Keep a photo of a synced record, byte for byte, if its SHA-256 matches; a re-upload changes nothing.

    Returns (photo, created). Raises Http404 for records the user cannot see, PhotoRejected for bad input.
    """
    reserve = device.reserve
    membership_require(user=actor, reserve=reserve)
    found = synced_record_get(user=actor, reserve=reserve, client_uuid=record_uuid, kinds=PHOTO_KINDS)
    if found is None:
        raise Http404(_("No such record."))
    kind, record = found
    sha256 = sha256.lower()
    existing = photo_get(reserve=reserve, record_uuid=record_uuid, sha256=sha256)
    if existing is not None:
        return existing, False
    content_type = content_type.split(";")[0].strip().lower()
    if content_type not in settings.IRBIS_SYNC_PHOTO_TYPES or content_type not in EXTENSIONS:
        raise PhotoRejected("unsupported_type", _("Photos must be one of: %(types)s.")
                            % {"types": ", ".join(settings.IRBIS_SYNC_PHOTO_TYPES)})  # fmt: skip
    limit = settings.IRBIS_SYNC_MAX_PHOTO_BYTES
    too_large = PhotoRejected("too_large", _("A photo may have at most %(n)d bytes.") % {"n": limit})
    if declared_size is not None and declared_size > limit:
        raise too_large
    root = Path(settings.IRBIS_PRIVATE_ROOT)
    relative = Path("photos") / str(reserve.pk) / sha256[:2] / f"{sha256}.{EXTENSIONS[content_type]}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    size = _store_verified(stream, target, sha256=sha256, content_type=content_type, limit=limit, too_large=too_large)
    photo = Photo(
        reserve=reserve, record_kind=kind, record_uuid=record_uuid, object_id=record.pk, sha256=sha256,
        original_sha256=(original_sha256 or sha256).lower(), path=str(relative), content_type=content_type,
        size_bytes=size, downscaled=downscaled, uploaded_by=actor, device=device,
    )  # fmt: skip
    try:
        with transaction.atomic():
            photo.full_clean(validate_unique=False, validate_constraints=False)
            photo.save()
            if kind in (Kind.ACTION, Kind.EVIDENCE):
                try:
                    _evidence_photo_create(actor=actor, photo=photo, record=record)
                except ValidationError as exc:
                    raise PhotoRejected("invalid", " ".join(exc.messages)) from exc
    except IntegrityError:  # the same upload, at the same time: the other one stored it
        return photo_get(reserve=reserve, record_uuid=record_uuid, sha256=sha256), False
    return photo, True


def _evidence_photo_create(*, actor: Any, photo: Photo, record: Any) -> None:
    """A photo of an action (a protocol) or of a seized thing is evidence itself: an item of kind photo with
    the stored bytes as its original and their SHA-256, collected by the ranger who took it."""
    action = record if isinstance(record, EnforcementAction) else record.action
    incident = record.incident if isinstance(record, EvidenceItem) else action.incidents.first()
    about = _("Photo of: %(what)s") % {"what": record}
    evidence_item_create(
        actor=actor, reserve=photo.reserve, kind=EvidenceItem.Kind.PHOTO, description=about, action=action,
        incident=incident, collected_at=getattr(record, "collected_at", None) or record.taken_at,
        location=record.location, place_name=record.place_name, photo=photo,
        original_name=f"{photo.sha256}.{EXTENSIONS[photo.content_type]}",
    )  # fmt: skip
