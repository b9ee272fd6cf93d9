"""Originals of evidence, kept byte for byte under IRBIS_PRIVATE_ROOT and named by their SHA-256."""

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

CHUNK = 64 * 1024

EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic", "application/pdf": "pdf",
    "video/mp4": "mp4", "text/plain": "txt",
}  # fmt: skip


def private_root() -> Path:
    return Path(settings.IRBIS_PRIVATE_ROOT)


def evidence_file_store(
    *, reserve_id: int, stream: BinaryIO, content_type: str, limit: int | None = None
) -> tuple[str, str, int]:
    """Write the stream to private storage, content-addressed; return (relative path, sha256, size).

    Raises ValueError("too_large") beyond `limit` bytes and ValueError("empty") for no bytes.
    """
    root = private_root()
    staging = root / "evidence" / str(reserve_id)
    staging.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=staging, delete=False) as tmp:
        try:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise ValueError("too_large")
                digest.update(chunk)
                tmp.write(chunk)
            if size == 0:
                raise ValueError("empty")
            tmp.flush()
            os.fsync(tmp.fileno())
            sha256 = digest.hexdigest()
            extension = EXTENSIONS.get(content_type, "bin")
            relative = Path("evidence") / str(reserve_id) / sha256[:2] / f"{sha256}.{extension}"
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp.name, root / relative)  # the same bytes under the same name
        except BaseException:
            if os.path.exists(tmp.name):
                os.unlink(tmp.name)
            raise
    return str(relative), sha256, size


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
