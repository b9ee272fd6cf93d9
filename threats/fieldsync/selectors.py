"""Reads for field sync: devices, receipts of synced items, and what a phone keeps for offline use.

Every read is scoped through the tenancy selectors (patrol.selectors, threats.selectors).
"""

import hashlib
import uuid
from datetime import timedelta
from typing import Any

from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from patrol.patrols.models import Patrol
from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.models import Membership, Reserve
from patrol.reserves.selectors import WRITE_ALL_ROLES, User, teams_for_user
from patrol.terrain.web_map import reserve_hillshade_get
from threats.enforcement.selectors import actions_for_user, evidence_for_user
from threats.fieldsync.models import Device, Photo, SyncReceipt
from threats.records.selectors import detections_for_user, incidents_for_user, snare_finds_for_user, species_list


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_get_by_token(*, token: str) -> Device | None:
    """The active (not revoked) device holding this token, with its user and reserve."""
    return (
        Device.objects.select_related("user", "reserve")
        .filter(token_sha256=token_sha256(token), revoked_at__isnull=True)
        .first()
    )


def devices_for_user(*, user: User) -> QuerySet[Device]:
    """A user's own devices, and every device of the reserves they manage (to revoke a lost phone)."""
    if not user.is_authenticated:
        return Device.objects.none()
    managed = Membership.objects.filter(user=user, role__in=WRITE_ALL_ROLES).values("reserve_id")
    return Device.objects.select_related("user", "reserve").filter(Q(user=user) | Q(reserve_id__in=managed))


def receipts_by_uuid(*, reserve: Reserve, client_uuids: list[uuid.UUID]) -> dict[uuid.UUID, SyncReceipt]:
    """The receipts of these client UUIDs in the reserve. The UUIDs go as one array parameter: a batch's
    500 placeholders of `client_uuid__in` took longer to build than the look-up takes to run."""
    listed = RawSQL("client_uuid = ANY(%s::uuid[])", ("{" + ",".join(map(str, client_uuids)) + "}",),
                    output_field=BooleanField())  # fmt: skip
    return {r.client_uuid: r for r in SyncReceipt.objects.filter(listed, reserve=reserve)}


RECORD_SELECTORS = {
    SyncReceipt.Kind.SNARE_FIND: snare_finds_for_user,
    SyncReceipt.Kind.INCIDENT: incidents_for_user,
    SyncReceipt.Kind.DETECTION: detections_for_user,
    SyncReceipt.Kind.PATROL: patrols_for_user,
    SyncReceipt.Kind.ACTION: actions_for_user,
    SyncReceipt.Kind.EVIDENCE: evidence_for_user,
}


def synced_record_get(
    *, user: User, reserve: Reserve, client_uuid: Any, kinds: tuple[str, ...]
) -> tuple[str, Any] | None:
    """(kind, record) synced under this client UUID into the reserve, if the user may see it; else None."""
    receipt = SyncReceipt.objects.filter(
        reserve=reserve, client_uuid=client_uuid, kind__in=kinds, object_id__isnull=False
    ).first()
    if receipt is None and SyncReceipt.Kind.EVIDENCE in kinds:  # a seized thing came inside an action item
        item = evidence_for_user(user=user).filter(reserve=reserve, client_uuid=client_uuid).first()
        return (SyncReceipt.Kind.EVIDENCE, item) if item is not None else None
    if receipt is None:
        return None
    record = RECORD_SELECTORS[receipt.kind](user=user).filter(reserve=reserve, pk=receipt.object_id).first()
    return (receipt.kind, record) if record is not None else None


def photo_get(*, reserve: Reserve, record_uuid: Any, sha256: str) -> Photo | None:
    return Photo.objects.filter(reserve=reserve, record_uuid=record_uuid, sha256=sha256).first()


def field_bootstrap(*, user: User, reserve: Reserve) -> dict[str, Any]:
    """What the field app keeps offline: the reserve, species, the user's teams and assigned patrols."""
    stale = timezone.now() - timedelta(days=1)  # a planned patrol whose day has long passed is not upcoming
    patrols = (
        patrols_for_user(user=user)
        .filter(reserve=reserve, status__in=[Patrol.Status.PLANNED, Patrol.Status.IN_PROGRESS])
        .exclude(status=Patrol.Status.PLANNED, planned_end__lt=stale)
        .order_by("planned_start", "id")[:50]
    )
    xmin, ymin, xmax, ymax = reserve.boundary.extent
    return {
        "reserve": {"slug": reserve.slug, "name": reserve.name, "bbox": [xmin, ymin, xmax, ymax]},
        "species": [
            {
                "scientific_name": s.scientific_name,
                "en": s.common_name_en,
                "ru": s.common_name_ru,
                "snare_target": s.is_snare_target,
            }  # fmt: skip
            for s in species_list()
        ],
        "teams": [{"id": t.pk, "name": t.name} for t in teams_for_user(user=user).filter(reserve=reserve)],
        "incidents": recent_incidents(user=user, reserve=reserve),
        "patrols": [
            {
                "id": p.pk,
                "client_uuid": str(p.client_uuid) if p.client_uuid else None,
                "team": p.team.name,
                "team_id": p.team_id,
                "status": p.status,
                "version": p.version,
                "planned_start": p.planned_start.isoformat() if p.planned_start else None,
                "planned_end": p.planned_end.isoformat() if p.planned_end else None,
                "actual_start": p.actual_start.isoformat() if p.actual_start else None,
                "transport": p.transport,
                "objective": p.objective,
                "route": [list(c[:2]) for c in p.planned_route.coords] if p.planned_route else None,
                "waypoints": [list(pt.coords[:2]) for pt in p.planned_waypoints] if p.planned_waypoints else [],
            }  # fmt: skip
            for p in patrols
        ],
        "map": field_map(reserve=reserve),
    }


def field_map(*, reserve: Reserve) -> dict[str, Any] | None:
    """The reserve's hillshade for the phone's offline map: where to fetch it (device token), its bounds
    ([[south, west], [north, east]], the PNG is in Web Mercator) and a key that changes with the terrain."""
    found = reserve_hillshade_get(reserve)
    if found is None:
        return None
    terrain, _path, bounds = found
    return {"hillshade": {"url": reverse("sync-hillshade"), "bounds": bounds, "key": f"terrain-{terrain.pk}"}}


def recent_incidents(*, user: User, reserve: Reserve, days: int = 60, limit: int = 50) -> list[dict[str, Any]]:
    """Incidents a seizure or protocol may be logged at: the user's visible ones of the last `days`, newest
    first, with the day shown (as the API shows it: a generalised incident's day, never its minute)."""
    since = timezone.now() - timedelta(days=days)
    rows = incidents_for_user(user=user).filter(reserve=reserve, display_time__gte=since)[:limit]
    return [
        {"id": i.pk, "client_uuid": str(i.client_uuid) if i.client_uuid else None, "kind": i.kind,
         "day": i.display_time.date().isoformat()}
        for i in rows
    ]  # fmt: skip
