"""Writes for enforcement outcomes: actions, suspects, cases and their events, evidence and its custody.

Every write takes the acting user (None for trusted callers: commands, the demo seed), checks the role
rules and that everything linked belongs to the same reserve, validates (model rules and database
constraints) and saves in one transaction. Rangers may log actions and evidence on their own teams'
patrols (as for snare finds); suspects and cases are managers' and administrators' business.
The custody log is only ever appended to (the database refuses anything else).
"""

import io
import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patrol.patrols.models import Patrol
from patrol.reserves.access import membership_require, require_manager, require_record_create
from patrol.reserves.models import Reserve, Role, Team
from patrol.reserves.selectors import CREATE_ROLES, User
from threats.enforcement.files import evidence_file_store, private_root
from threats.enforcement.models import Case, CaseEvent, CustodyEvent, EnforcementAction, EvidenceItem, Suspect
from threats.enforcement.validation import CHECKS
from threats.records.models import Incident, SnareFind


def _same_reserve(reserve: Reserve, **refs: Any) -> None:
    """Everything linked must belong to `reserve` (lists of objects or single ones; None is fine)."""
    errors = {}
    for name, value in refs.items():
        items = value if isinstance(value, list | tuple | set) else [value]
        if any(item is not None and getattr(item, "reserve_id", reserve.pk) != reserve.pk for item in items):
            errors[name] = _("This object belongs to another reserve.")
    if errors:
        raise ValidationError(errors)


def _members_only(reserve: Reserve, field: str, users: Iterable[Any]) -> None:
    users = [u for u in users if u is not None]
    member_ids = set(reserve.memberships.filter(user__in=users).values_list("user_id", flat=True))
    if any(u.pk not in member_ids for u in users):
        raise ValidationError({field: _("Must be a member of the reserve.")})


def _not_in_future(field: str, value: datetime | None) -> None:
    if value is not None and value > timezone.now() + timezone.timedelta(seconds=settings.IRBIS_SYNC_CLOCK_SKEW_S):
        raise ValidationError({field: _("This time is in the future.")})


def _save(obj: Any) -> Any:
    check = CHECKS.get(type(obj))
    if check is not None:
        check(obj)
    obj.full_clean()
    obj.save()
    return obj


# --- actions ------------------------------------------------------------------------------------------


@transaction.atomic
def enforcement_action_create(*, actor: User | None, reserve: Reserve, kind: str, taken_at: datetime,
                              location: Point | None = None, place_name: str = "", patrol: Patrol | None = None,
                              team: Team | None = None, officers: Iterable[Any] = (),
                              incidents: Iterable[Incident] = (), snare_finds: Iterable[SnareFind] = (),
                              suspects: Iterable[Suspect] = (), case: Case | None = None, description: str = "",
                              protocol_number: str = "", fine_amount: Decimal | None = None,
                              fine_currency: str = "", client_uuid: uuid.UUID | None = None,
                              device_recorded_at: datetime | None = None) -> EnforcementAction:  # fmt: skip
    """Log an action. Rangers: on their own teams' patrols, without suspects or a case (managers add those)."""
    officers, incidents, snare_finds, suspects = list(officers), list(incidents), list(snare_finds), list(suspects)
    _same_reserve(reserve, patrol=patrol, team=team, incidents=incidents, snare_finds=snare_finds,
                  suspects=suspects, case=case)  # fmt: skip
    if actor is not None:
        membership = require_record_create(user=actor, reserve=reserve, patrol=patrol)
        if (suspects or case is not None) and membership.role not in (Role.MANAGER, Role.ADMIN):
            raise PermissionDenied(_("Only managers and reserve administrators may link suspects and cases."))
        if membership.role == Role.RANGER and team is not None and not team.members.filter(pk=actor.pk).exists():
            raise PermissionDenied(_("Rangers may only add records to their own team's patrols."))
    _members_only(reserve, "officers", officers)
    _not_in_future("taken_at", taken_at)
    if team is None and patrol is not None:
        team = patrol.team
    action = _save(EnforcementAction(
        reserve=reserve, kind=kind, taken_at=taken_at, location=location, place_name=place_name, patrol=patrol,
        team=team, case=case, description=description, protocol_number=protocol_number, fine_amount=fine_amount,
        fine_currency=fine_currency.upper(), reported_by=actor, client_uuid=client_uuid,
        device_recorded_at=device_recorded_at,
    ))  # fmt: skip
    action.officers.set(officers)
    action.incidents.set(incidents)
    action.snare_finds.set(snare_finds)
    action.suspects.set(suspects)
    return action


ACTION_LINKS = ("officers", "incidents", "snare_finds", "suspects")


@transaction.atomic
def enforcement_action_update(*, actor: User, action: EnforcementAction, data: dict[str, Any]) -> EnforcementAction:
    """Managers correct actions and link suspects and cases; the change history keeps who changed what."""
    require_manager(user=actor, reserve=action.reserve)
    data = dict(data)
    links = {name: list(data.pop(name)) for name in ACTION_LINKS if name in data}
    _same_reserve(action.reserve, **{k: v for k, v in data.items() if k in ("patrol", "team", "case")}, **links)
    if "officers" in links:
        _members_only(action.reserve, "officers", links["officers"])
    _not_in_future("taken_at", data.get("taken_at"))
    for field, value in data.items():
        setattr(action, field, value)
    action.fine_currency = action.fine_currency.upper()
    _save(action)
    for name, values in links.items():
        getattr(action, name).set(values)
    return action


# --- suspects and cases (managers and administrators) -------------------------------------------------------


@transaction.atomic
def suspect_create(*, actor: User | None, reserve: Reserve, full_name: str, birth_year: int | None = None,
                   locality: str = "", document: str = "", notes: str = "") -> Suspect:  # fmt: skip
    if actor is not None:
        require_manager(user=actor, reserve=reserve)
    return _save(Suspect(reserve=reserve, full_name=full_name, birth_year=birth_year, locality=locality,
                         document=document, notes=notes, created_by=actor))  # fmt: skip


@transaction.atomic
def suspect_update(*, actor: User, suspect: Suspect, data: dict[str, Any]) -> Suspect:
    require_manager(user=actor, reserve=suspect.reserve)
    for field, value in data.items():
        setattr(suspect, field, value)
    return _save(suspect)


@transaction.atomic
def suspect_delete(*, actor: User, suspect: Suspect) -> None:
    """Personal data is removed when no longer needed; cases and actions keep their other facts."""
    require_manager(user=actor, reserve=suspect.reserve)
    suspect.delete()


CASE_LINKS = ("incidents", "suspects")


@transaction.atomic
def case_create(*, actor: User | None, reserve: Reserve, number: str, agency: str, opened_on: Any,
                incidents: Iterable[Incident] = (), suspects: Iterable[Suspect] = (),
                actions: Iterable[EnforcementAction] = (), **fields: Any) -> Case:  # fmt: skip
    """Open a case; its timeline starts with an "opened" event on `opened_on`."""
    incidents, suspects, actions = list(incidents), list(suspects), list(actions)
    _same_reserve(reserve, incidents=incidents, suspects=suspects, actions=actions)
    if actor is not None:
        require_manager(user=actor, reserve=reserve)
    case = _save(Case(reserve=reserve, number=number, agency=agency, opened_on=opened_on, created_by=actor,
                      **{**fields, "fine_currency": fields.get("fine_currency", "").upper()}))  # fmt: skip
    case.incidents.set(incidents)
    case.suspects.set(suspects)
    for action in actions:
        action.case = case
        action.save(update_fields=["case", "updated_at"])
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.OPENED, occurred_on=opened_on, recorded_by=actor)
    return case


@transaction.atomic
def case_update(*, actor: User, case: Case, data: dict[str, Any]) -> Case:
    """Managers move a case on; a change of status or verdict adds the matching event to its timeline."""
    require_manager(user=actor, reserve=case.reserve)
    data = dict(data)
    links = {name: list(data.pop(name)) for name in CASE_LINKS if name in data}
    _same_reserve(case.reserve, **links)
    before = (case.status, case.verdict)
    for field, value in data.items():
        setattr(case, field, value)
    case.fine_currency = case.fine_currency.upper()
    _save(case)
    for name, values in links.items():
        getattr(case, name).set(values)
    today = timezone.localdate()
    if case.verdict and case.verdict != before[1]:
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.VERDICT, occurred_on=case.verdict_on or today,
                                 description=case.get_verdict_display(), recorded_by=actor)  # fmt: skip
    if case.status != before[0]:
        kind, day = {
            Case.Status.CHARGED: (CaseEvent.Kind.CHARGED, case.charged_on),
            Case.Status.IN_COURT: (CaseEvent.Kind.HEARING, None),
            Case.Status.CLOSED: (CaseEvent.Kind.CLOSED, case.closed_on),
        }.get(case.status, (CaseEvent.Kind.NOTE, None))
        CaseEvent.objects.create(case=case, kind=kind, occurred_on=day or today,
                                 description=case.get_status_display(), recorded_by=actor)  # fmt: skip
    return case


@transaction.atomic
def case_event_create(
    *, actor: User | None, case: Case, kind: str, occurred_on: Any, description: str = ""
) -> CaseEvent:
    if actor is not None:
        require_manager(user=actor, reserve=case.reserve)
    return _save(CaseEvent(case=case, kind=kind, occurred_on=occurred_on, description=description, recorded_by=actor))


# --- evidence and custody -------------------------------------------------------------------------------


def _store_original(reserve: Reserve, stream: BinaryIO, content_type: str) -> tuple[str, str, int]:
    try:
        return evidence_file_store(reserve_id=reserve.pk, stream=stream, content_type=content_type,
                                   limit=settings.IRBIS_EVIDENCE_MAX_BYTES)  # fmt: skip
    except ValueError as error:
        if str(error) == "too_large":
            message = _("An original may have at most %(n)d bytes.") % {"n": settings.IRBIS_EVIDENCE_MAX_BYTES}
        else:
            message = _("The file is empty.")
        raise ValidationError({"file": message}) from error


@transaction.atomic
def evidence_item_create(*, actor: User | None, reserve: Reserve, kind: str, collected_at: datetime,
                         quantity: int = 1, description: str = "", action: EnforcementAction | None = None,
                         case: Case | None = None, incident: Incident | None = None,
                         location: Point | None = None, place_name: str = "", collected_by: Any = None,
                         stream: BinaryIO | None = None, content_type: str = "", original_name: str = "",
                         photo: Any = None, client_uuid: uuid.UUID | None = None) -> EvidenceItem:  # fmt: skip
    """Register a photo or seized item, with its original file (a stream, or a synced field-app Photo whose
    stored bytes are copied), and log its collection as the first custody event."""
    _same_reserve(reserve, action=action, case=case, incident=incident, photo=photo)
    collected_by = collected_by or actor
    if actor is not None:
        membership = require_record_create(user=actor, reserve=reserve, patrol=action.patrol if action else None)
        if case is not None and membership.role not in (Role.MANAGER, Role.ADMIN):
            raise PermissionDenied(_("Only managers and reserve administrators may link suspects and cases."))
    _members_only(reserve, "collected_by", [collected_by])
    _not_in_future("collected_at", collected_at)
    if stream is not None and photo is not None:
        raise ValidationError({"file": _("Give either a file or a photo, not both.")})
    path, sha256, size = "", "", None
    if photo is not None:
        with open(private_root() / photo.path, "rb") as source:
            path, sha256, size = _store_original(reserve, source, photo.content_type)
        content_type = photo.content_type
    elif stream is not None:
        path, sha256, size = _store_original(reserve, stream, content_type)
    item = _save(EvidenceItem(
        reserve=reserve, kind=kind, quantity=quantity, description=description, action=action, case=case,
        incident=incident, collected_by=collected_by, collected_at=collected_at, location=location,
        place_name=place_name, path=path, sha256=sha256, size_bytes=size, content_type=content_type if path else "",
        original_name=original_name[:255], client_uuid=client_uuid, created_by=actor,
    ))  # fmt: skip
    CustodyEvent.objects.create(item=item, kind=CustodyEvent.Kind.COLLECTED, occurred_at=collected_at,
                                from_user=collected_by, location=location, place_name=place_name,
                                recorded_by=actor)  # fmt: skip
    return item


def evidence_item_from_bytes(*, content: bytes, **kwargs: Any) -> EvidenceItem:
    """`evidence_item_create` with the original given as bytes (commands, tests, the demo)."""
    return evidence_item_create(stream=io.BytesIO(content), **kwargs)


EVIDENCE_EDITABLE = ("description", "quantity", "action", "case", "incident", "place_name")


@transaction.atomic
def evidence_item_update(*, actor: User, item: EvidenceItem, data: dict[str, Any]) -> EvidenceItem:
    """Managers correct an item's words and links (to a case, an action, an incident); its file, hash, kind,
    collector and custody never change."""
    require_manager(user=actor, reserve=item.reserve)
    fixed = sorted(set(data) - set(EVIDENCE_EDITABLE))
    if fixed:
        raise ValidationError({name: _("Fixed when the item was registered.") for name in fixed})
    _same_reserve(item.reserve, **{k: v for k, v in data.items() if k in ("action", "case", "incident")})
    for field, value in data.items():
        setattr(item, field, value)
    return _save(item)


def evidence_item_link(*, actor: User, item: EvidenceItem, case: Case | None = None,
                       action: EnforcementAction | None = None) -> EvidenceItem:  # fmt: skip
    """Managers attach an item to a case or an action."""
    data = {name: value for name, value in (("case", case), ("action", action)) if value is not None}
    return evidence_item_update(actor=actor, item=item, data=data)


@transaction.atomic
def custody_event_create(*, actor: User | None, item: EvidenceItem, kind: str, occurred_at: datetime,
                         from_user: Any = None, from_name: str = "", to_user: Any = None, to_name: str = "",
                         place_name: str = "", location: Point | None = None,
                         notes: str = "") -> CustodyEvent:  # fmt: skip
    """Append a hand-over to an item's custody log. Rangers log hand-overs of items they collected."""
    reserve = item.reserve
    if actor is not None:
        membership = membership_require(user=actor, reserve=reserve)
        if membership.role not in CREATE_ROLES:
            raise PermissionDenied(_("Your role in this reserve is read-only."))
        if membership.role == Role.RANGER and item.collected_by_id != actor.pk:
            raise PermissionDenied(_("Rangers may only log hand-overs of items they collected."))
    _members_only(reserve, "from_user", [from_user])
    _members_only(reserve, "to_user", [to_user])
    _not_in_future("occurred_at", occurred_at)
    handover = kind in (CustodyEvent.Kind.HANDED_OVER, CustodyEvent.Kind.TRANSFERRED)
    if handover and not ((from_user or from_name) and (to_user or to_name)):
        raise ValidationError({"to_name": _("A hand-over needs who gave and who received the item.")})
    return _save(CustodyEvent(item=item, kind=kind, occurred_at=occurred_at, from_user=from_user,
                              from_name=from_name, to_user=to_user, to_name=to_name, place_name=place_name,
                              location=location, notes=notes, recorded_by=actor))  # fmt: skip
