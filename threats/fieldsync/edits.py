"""Edits of synced records, with versions: a stale edit is a conflict."""

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.lifecycle import lifecycle_check
from patrol.reserves.access import membership_require
from patrol.reserves.selectors import CREATE_ROLES, WRITE_ALL_ROLES
from threats.fieldsync.models import Device
from threats.fieldsync.parsing import EDITABLE_KINDS, ItemRejected, Kind, _Rules, parse_item_data
from threats.fieldsync.selectors import synced_record_get


class EditConflict(Exception):
    """The edit was made against a version that is no longer the current one."""

    def __init__(self, current_version: int):
        super().__init__(current_version)
        self.current_version = current_version


@transaction.atomic
def sync_record_edit(*, actor: Any, device: Device, client_uuid: uuid.UUID, version: int,
                     data: dict[str, Any]) -> Any:  # fmt: skip
    """Change a synced record. `version` is the one the phone edited: a stale one raises EditConflict.

    The same edit sent twice (a retry) finds its values already there and changes nothing.
    Managers and administrators edit any record; rangers the ones they reported or patrols they lead.
    """
    reserve = device.reserve
    found = synced_record_get(user=actor, reserve=reserve, client_uuid=client_uuid, kinds=EDITABLE_KINDS)
    if found is None:
        raise Http404(_("No such record."))
    kind, record = found
    record = type(record).objects.select_for_update().get(pk=record.pk)
    membership = membership_require(user=actor, reserve=reserve)
    owner_id = record.leader_id if kind == Kind.PATROL else record.reported_by_id
    if membership.role not in WRITE_ALL_ROLES and not (membership.role in CREATE_ROLES and owner_id == actor.pk):
        raise PermissionDenied(_("Only managers and the record's author may change it."))
    rules = _Rules(reserve)
    values = parse_item_data(kind, data, rules, partial=True, instance=record)  # moved: new review reasons
    for ref in ("patrol", "patrol_uuid", "team", "snare_find_uuids"):
        if ref in values:
            raise ItemRejected({ref: [_("This field cannot be changed after sync.")]})
    if version != record.version:
        if values and all(getattr(record, name) == value for name, value in values.items()):
            return record  # this very edit, sent again
        raise EditConflict(record.version)
    if kind == Kind.PATROL and "status" in values:  # the lifecycle's rules, as on every path
        try:
            lifecycle_check(current=record.status, new=values["status"])
        except ValidationError as exc:
            raise ItemRejected(exc.message_dict) from exc
    for name, value in values.items():
        setattr(record, name, value)
    record.version += 1
    record.full_clean()
    record.save()
    track_changed = kind == Kind.PATROL and "track" in values
    evidence_changed(reserve_id=reserve.pk, patrol_ids=[record.pk] if track_changed else [])
    return record
