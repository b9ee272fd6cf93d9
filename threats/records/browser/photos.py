"""Photos in the records browser: thumbnails for everyone who may see the record, originals for a few.

Photos are evidence, kept byte for byte under IRBIS_PRIVATE_ROOT (threats.fieldsync.photos); no URL
serves that folder. A thumbnail is drawn once with Pillow (at most THUMB_PX on its longest side, JPEG,
without the original's metadata: a phone's EXIF carries the exact GPS position) and kept beside the
originals under thumbs/. The original, with its metadata, goes only to the reserve's managers and
administrators, and only for records they see at their exact place (docs/privacy.md).
"""

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _

from patrol.reserves.selectors import WRITE_ALL_ROLES, User, role_get
from threats.enforcement.models import EvidenceItem
from threats.enforcement.selectors import may_download_original
from threats.fieldsync.models import Photo
from threats.fieldsync.selectors import RECORD_SELECTORS

THUMB_PX = 320
MAX_IMAGE_PIXELS = 60_000_000  # a decompression bomb fails alone, not the worker


def photo_record_get(*, user: User, photo_id: int) -> tuple[Photo, Any]:
    """The photo and its record as the user sees it (with the privacy annotations); 404 when either is hidden."""
    photo = Photo.objects.select_related("reserve").filter(pk=photo_id).first()
    selector = RECORD_SELECTORS.get(photo.record_kind) if photo else None
    if photo is None or selector is None or photo.object_id is None:
        raise Http404(_("No such photo."))
    record = selector(user=user).filter(reserve=photo.reserve_id, pk=photo.object_id).first()
    if record is None:
        raise Http404(_("No such photo."))
    return photo, record


def original_allowed(*, user: User, photo: Photo, record: Any) -> bool:
    """Managers and reserve administrators, for records they see exactly (the file's EXIF may hold the point)."""
    if getattr(record, "location_generalised", False):
        return False
    return role_get(user=user, reserve=photo.reserve_id) in WRITE_ALL_ROLES


def original_path(photo: Photo) -> Path:
    return Path(settings.IRBIS_PRIVATE_ROOT) / photo.path


def thumbnail_bytes(photo: Photo) -> bytes:
    """The photo's thumbnail (JPEG), drawn on first use and then read from its file."""
    return _thumbnail(photo.reserve_id, photo.sha256, original_path(photo))


def evidence_thumbnail_bytes(item: EvidenceItem) -> bytes:
    if not item.path or not item.content_type.startswith("image/"):
        raise Http404(_("This evidence item has no picture."))
    return _thumbnail(item.reserve_id, item.sha256, Path(settings.IRBIS_PRIVATE_ROOT) / item.path)


def evidence_original_allowed(*, user: User, item: Any) -> bool:
    """The enforcement rule (managers, administrators, the ranger who collected it), and, as for record
    photos, only where the user sees the item's exact place, unless they collected it themselves."""
    if not may_download_original(user=user, item=item):
        return False
    return not getattr(item, "location_generalised", False) or item.collected_by_id == user.pk


def _thumbnail(reserve_id: int, sha256: str, source: Path) -> bytes:
    from PIL import Image, ImageOps, UnidentifiedImageError  # with the first thumbnail, not at start-up

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    target = Path(settings.IRBIS_PRIVATE_ROOT) / "thumbs" / str(reserve_id) / sha256[:2]
    path = target / f"{sha256}-{THUMB_PX}.jpg"
    if path.exists():
        return path.read_bytes()
    if not source.exists():
        raise Http404(_("The photo's file is missing."))
    try:
        with Image.open(source) as image:
            image = ImageOps.exif_transpose(image)  # as the phone showed it, before the EXIF goes
            image.thumbnail((THUMB_PX, THUMB_PX))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=80)  # no exif= : metadata is not copied
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise Http404(_("This photo cannot be shown.")) from exc
    data = buffer.getvalue()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target, delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, path)  # two requests at once write the same bytes: the last rename wins
    return data
