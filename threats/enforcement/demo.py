"""Enforcement outcomes for the demo reserve: what followed its incidents, deterministic for a seed.

Snare lines and poacher camps end in a confiscation (the snares and a photo as evidence, handed over and
stored); encounters with people and gunshots in a warning, a protocol and fine or a detention; carcasses
and camps are referred to the police, and older referrals have become cases, the oldest closed with a
verdict. Everything goes through the services, so the demo obeys the same rules as real data.
"""

import struct
import zlib
from datetime import timedelta

import numpy as np
from django.utils import timezone

from patrol.reserves.models import Reserve
from threats.enforcement import services
from threats.enforcement.models import Case, CustodyEvent, EnforcementAction, EvidenceItem
from threats.records.models import Incident

NAMES = ["Кыдыев Эркин", "Тадыров Айдар", "Сабашкин Николай", "Ялбаков Артур", "Чендеков Семён", "Мундусов Олег"]
LOCALITIES = ["Джазатор", "Беляши", "Кош-Агач", "Тюнгур"]
VERDICTS = [Case.Verdict.CONVICTED, Case.Verdict.CONVICTED, Case.Verdict.CONVICTED, Case.Verdict.DISMISSED,
            Case.Verdict.SETTLED, Case.Verdict.ACQUITTED]  # fmt: skip


def demo_photo_png(rng: np.random.Generator, size: int = 16) -> bytes:
    """A small grey PNG, different for every call (a stand-in for a ranger's photo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = rng.integers(0, 256, size=(size, size), dtype=np.uint8)
    rows = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _action_kind(incident: Incident, rng: np.random.Generator) -> str:
    if incident.kind in (Incident.Kind.SNARE_LINE, Incident.Kind.POACHER_CAMP):
        return EnforcementAction.Kind.CONFISCATION
    if incident.kind == Incident.Kind.CARCASS:
        return EnforcementAction.Kind.REFERRAL_POLICE if rng.random() < 0.7 else EnforcementAction.Kind.WARNING
    options = [EnforcementAction.Kind.WARNING, EnforcementAction.Kind.PROTOCOL_FINE, EnforcementAction.Kind.DETENTION]
    return str(rng.choice(options))


def enforcement_demo_seed(*, reserve: Reserve, manager, seed: int = 1) -> None:
    rng = np.random.default_rng(seed + 7_011)
    now = timezone.now()
    incidents = (
        Incident.objects.filter(reserve=reserve, patrol__isnull=False)
        .select_related("patrol__team")
        .prefetch_related("snare_finds", "patrol__team__members")
        .order_by("occurred_at", "id")
    )
    suspects = [
        services.suspect_create(
            actor=None,
            reserve=reserve,
            full_name=name,
            birth_year=int(rng.integers(1960, 2004)),
            locality=LOCALITIES[i % len(LOCALITIES)],
        )  # fmt: skip
        for i, name in enumerate(NAMES)
    ]
    for number, incident in enumerate(incidents, start=1):
        team = incident.patrol.team
        officers = sorted(team.members.all(), key=lambda u: u.pk)[:2]
        taken_at = min(incident.occurred_at + timedelta(hours=1), now)
        kind = _action_kind(incident, rng)
        finds = list(incident.snare_finds.all())
        fine = {}
        if kind == EnforcementAction.Kind.PROTOCOL_FINE:
            fine = {"fine_amount": int(rng.integers(3, 50)) * 1000, "fine_currency": "RUB"}
        action = services.enforcement_action_create(
            actor=None, reserve=reserve, kind=kind, taken_at=taken_at, location=incident.location,
            patrol=incident.patrol, officers=officers, incidents=[incident], snare_finds=finds,
            protocol_number=f"{number:03d}/{taken_at:%Y}" if kind in ("protocol_fine", "detention") else "",
            description=incident.description, **fine,
        )  # fmt: skip
        if kind == EnforcementAction.Kind.CONFISCATION:
            _seize(action, officers[0] if officers else manager, manager, finds, rng)
        if kind in (EnforcementAction.Kind.REFERRAL_POLICE, EnforcementAction.Kind.DETENTION) or (
            incident.kind == Incident.Kind.POACHER_CAMP
        ):
            _open_case(action, suspects, manager, number, now, rng)


def _seize(action: EnforcementAction, collector, manager, finds, rng: np.random.Generator) -> None:
    snares = sum(f.count for f in finds) or int(rng.integers(2, 9))
    common = {"actor": None, "reserve": action.reserve, "action": action, "collected_at": action.taken_at,
              "location": action.location, "collected_by": collector}  # fmt: skip
    items = [
        services.evidence_item_create(
            kind=EvidenceItem.Kind.SNARES, quantity=snares, description="Wire snares", **common
        ),  # fmt: skip
        services.evidence_item_from_bytes(
            kind=EvidenceItem.Kind.PHOTO,
            content=demo_photo_png(rng),
            content_type="image/png",
            original_name="IMG_0001.png",
            **common,
        ),  # fmt: skip
    ]
    for item in items:
        handed = min(action.taken_at + timedelta(days=1), timezone.now())
        services.custody_event_create(actor=None, item=item, kind=CustodyEvent.Kind.HANDED_OVER, occurred_at=handed,
                                      from_user=collector, to_user=manager)  # fmt: skip
        services.custody_event_create(actor=None, item=item, kind=CustodyEvent.Kind.STORED, occurred_at=handed,
                                      from_user=manager, to_name="Evidence room")  # fmt: skip


def _open_case(action: EnforcementAction, suspects, manager, number: int, now, rng: np.random.Generator) -> None:
    opened = timezone.localdate(action.taken_at) + timedelta(days=int(rng.integers(3, 20)))
    if opened > timezone.localdate(now):
        return
    who = [suspects[int(rng.integers(0, len(suspects)))]]
    action.suspects.set(who)
    case = services.case_create(actor=None, reserve=action.reserve, number=f"{number}-{opened:%y}/УД",
                                agency="ОМВД по Кош-Агачскому району", opened_on=opened, suspects=who,
                                incidents=list(action.incidents.all()), actions=[action],
                                charges="ст. 258.1 УК РФ")  # fmt: skip
    age = (timezone.localdate(now) - opened).days
    if age > 150:
        verdict = VERDICTS[int(rng.integers(0, len(VERDICTS)))]
        closed = opened + timedelta(days=int(rng.integers(90, 150)))
        data = {"status": Case.Status.CLOSED, "verdict": verdict, "verdict_on": closed, "closed_on": closed}
        if verdict == Case.Verdict.CONVICTED:
            months = int(rng.choice([0, 12, 24])) or None
            data.update(fine_amount=int(rng.integers(50, 500)) * 1000, fine_currency="RUB", prison_months=months,
                        conditional=bool(rng.random() < 0.6))  # fmt: skip
        services.case_update(actor=manager, case=case, data=data)
    elif age > 60:
        charged = {"status": Case.Status.CHARGED, "charged_on": opened + timedelta(days=30)}
        services.case_update(actor=manager, case=case, data=charged)
        services.case_update(actor=manager, case=case, data={"status": Case.Status.IN_COURT})
