"""Re-hash every evidence original and compare with the SHA-256 registered when it was received."""

from collections.abc import Iterator
from dataclasses import dataclass

from patrol.reserves.models import Reserve
from threats.enforcement.files import file_sha256, private_root
from threats.enforcement.models import EvidenceItem


@dataclass(frozen=True)
class EvidenceCheck:
    item_id: int
    reserve_slug: str
    path: str
    expected: str
    actual: str | None  # None: the file is missing

    @property
    def status(self) -> str:
        if self.actual is None:
            return "missing"
        return "ok" if self.actual == self.expected else "changed"


def evidence_verify(*, reserve: Reserve | None = None) -> Iterator[EvidenceCheck]:
    """One check per item with an original (of one reserve, or all), in id order, reading files in chunks."""
    items = EvidenceItem.objects.exclude(path="").select_related("reserve").order_by("id")
    if reserve is not None:
        items = items.filter(reserve=reserve)
    root = private_root()
    for item_id, slug, path, expected in items.values_list("id", "reserve__slug", "path", "sha256").iterator():
        file = root / path
        actual = file_sha256(file) if file.is_file() else None
        yield EvidenceCheck(item_id=item_id, reserve_slug=slug, path=path, expected=expected, actual=actual)
