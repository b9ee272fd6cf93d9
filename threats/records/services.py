"""Writes for snare finds, incidents, detections and camera deployments.

Every create takes the acting user (None for trusted commands such as imports and the demo seed),
checks the role rules, validates the record against its reserve, and saves it in one transaction.
Creates, updates and deletes of snare finds, incidents and detections change the risk model's evidence:
they call `evidence_changed`, which queues the debounced risk recompute on commit.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from patrol.jobs.follow_up import evidence_changed
from patrol.patrols.models import Patrol
from patrol.reserves.access import require_manager, require_record_create
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import User
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind


def _check_same_reserve(reserve: Reserve, **refs: Any) -> None:
    errors = {
        name: _("This object belongs to another reserve.")
        for name, obj in refs.items()
        if obj is not None and obj.reserve_id != reserve.pk
    }
    if errors:
        raise ValidationError(errors)


def _record_create(model: type, *, actor: User | None, reserve: Reserve, patrol: Patrol | None,
                   fields: dict[str, Any]) -> Any:  # fmt: skip
    _check_same_reserve(reserve, patrol=patrol, deployment=fields.get("deployment"))
    if actor is not None:
        require_record_create(user=actor, reserve=reserve, patrol=patrol)
        fields.setdefault("reported_by", actor)
    snare_finds = fields.pop("snare_finds", None)
    record = model(reserve=reserve, patrol=patrol, **fields)
    record.full_clean()
    record.save()
    if snare_finds is not None:
        for find in snare_finds:
            _check_same_reserve(reserve, snare_finds=find)
        record.snare_finds.set(snare_finds)
    evidence_changed(reserve_id=reserve.pk)
    return record


@transaction.atomic
def snare_find_create(*, actor: User | None, reserve: Reserve, patrol: Patrol | None = None,
                      **fields: Any) -> SnareFind:  # fmt: skip
    return _record_create(SnareFind, actor=actor, reserve=reserve, patrol=patrol, fields=fields)


@transaction.atomic
def incident_create(*, actor: User | None, reserve: Reserve, patrol: Patrol | None = None,
                    **fields: Any) -> Incident:  # fmt: skip
    return _record_create(Incident, actor=actor, reserve=reserve, patrol=patrol, fields=fields)


@transaction.atomic
def detection_create(*, actor: User | None, reserve: Reserve, patrol: Patrol | None = None,
                     **fields: Any) -> Detection:  # fmt: skip
    return _record_create(Detection, actor=actor, reserve=reserve, patrol=patrol, fields=fields)


@transaction.atomic
def record_update(*, actor: User, record: SnareFind | Incident | Detection, data: dict[str, Any]) -> Any:
    """Managers correct records; the change history keeps who changed what."""
    require_manager(user=actor, reserve=record.reserve)
    _check_same_reserve(record.reserve, patrol=data.get("patrol"), deployment=data.get("deployment"))
    snare_finds = data.pop("snare_finds", None)
    for field, value in data.items():
        setattr(record, field, value)
    record.version += 1
    record.full_clean()
    record.save()
    if snare_finds is not None:
        for find in snare_finds:
            _check_same_reserve(record.reserve, snare_finds=find)
        record.snare_finds.set(snare_finds)
    evidence_changed(reserve_id=record.reserve_id)
    return record


@transaction.atomic
def record_delete(*, actor: User, record: Any) -> None:
    require_manager(user=actor, reserve=record.reserve)
    reserve_id = record.reserve_id
    record.delete()
    evidence_changed(reserve_id=reserve_id)


@transaction.atomic
def camera_deployment_create(*, actor: User | None, reserve: Reserve, **fields: Any) -> CameraDeployment:
    if actor is not None:
        require_manager(user=actor, reserve=reserve)
    deployment = CameraDeployment(reserve=reserve, **fields)
    deployment.full_clean()
    deployment.save()
    return deployment


@transaction.atomic
def camera_deployment_update(*, actor: User, deployment: CameraDeployment, data: dict[str, Any]) -> CameraDeployment:
    require_manager(user=actor, reserve=deployment.reserve)
    for field, value in data.items():
        setattr(deployment, field, value)
    deployment.full_clean()
    deployment.save()
    return deployment
