"""Storage for files that no URL serves (IRBIS_PRIVATE_ROOT)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    """Files under IRBIS_PRIVATE_ROOT, which no URL serves: views hand out what each user may see.

    Risk layers include leopard risk, which must not leak to people without clearance through a
    public media URL. The location is read from settings on every use, so tests can move it.
    """

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return os.fspath(settings.IRBIS_PRIVATE_ROOT)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:  # type: ignore[override]
        return None


private_storage = PrivateFileStorage()
