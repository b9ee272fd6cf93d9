"""Photos of synced records, stored byte for byte as evidence."""

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
    digest, size, head = hashlib.sha256(), 0, b""
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        try:
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise too_large
                if len(head) < 16:
                    head = (head + chunk)[:16]
                digest.update(chunk)
                tmp.write(chunk)
            if size == 0:
                raise PhotoRejected("invalid", _("The photo is empty."))
            if digest.hexdigest() != sha256:
                raise PhotoRejected("hash_mismatch", _("The photo's SHA-256 is %(got)s, not %(sent)s.")
                                    % {"got": digest.hexdigest(), "sent": sha256})  # fmt: skip
            if not _looks_like(content_type, head):
                raise PhotoRejected(
                    "unsupported_type", _("The bytes are not a %(type)s image.") % {"type": content_type}
                )
            tmp.flush()
            os.fsync(tmp.fileno())
            os.replace(tmp.name, target)  # content-addressed: the same bytes under the same name
        except BaseException:
            os.unlink(tmp.name)
            raise
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
