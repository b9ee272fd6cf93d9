"""Re-hash every evidence original and compare with the SHA-256 registered when it was received; recompute
the custody log's hash chain (migration 0011)."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

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


BROKEN_LINKS_SQL = """
SELECT x.item_id, x.id, r.slug
FROM threats_custodyevent x
JOIN threats_evidenceitem i ON i.id = x.item_id
JOIN patrol_reserve r ON r.id = i.reserve_id
LEFT JOIN LATERAL (
    SELECT p.chain_sha256 FROM threats_custodyevent p WHERE p.item_id = x.item_id AND p.id < x.id
    ORDER BY p.id DESC LIMIT 1
) previous ON true
WHERE x.chain_sha256 IS DISTINCT FROM threats_custody_link(coalesce(previous.chain_sha256, ''), x)
  AND (%(reserve)s::bigint IS NULL OR i.reserve_id = %(reserve)s::bigint)
ORDER BY x.item_id, x.id
"""


def custody_chain_breaks(*, reserve: Reserve | None = None) -> list[tuple[int, int, str]]:
    """(item id, custody event id, reserve slug) of every custody event whose chain link no longer matches
    its row and the link before it: a row edited, or one before it removed, with the triggers switched off."""
    with connection.cursor() as cursor:
        cursor.execute(BROKEN_LINKS_SQL, {"reserve": reserve.pk if reserve else None})
        return [tuple(row) for row in cursor.fetchall()]
