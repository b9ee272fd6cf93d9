"""Field devices: per-device tokens (only their hash is stored), last use, revocation."""

import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patrol.reserves.access import membership_require
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import WRITE_ALL_ROLES, User
from threats.fieldsync.models import Device
from threats.fieldsync.selectors import token_sha256


@transaction.atomic
def device_login(*, user: Any, reserve: Reserve, device_id: str, name: str = "") -> tuple[Device, str]:
    """Give the device a new token for this user and reserve; the token is returned once, only its hash kept.

    Logging in again from a device (even a revoked one: the password was given again) replaces its token.
    """
    membership_require(user=user, reserve=reserve)
    token = secrets.token_urlsafe(32)
    device, _created = Device.objects.update_or_create(
        user=user,
        device_id=device_id,
        defaults={"reserve": reserve, "name": name, "token_sha256": token_sha256(token), "revoked_at": None,
                  "revoked_by": None},
    )  # fmt: skip
    return device, token


def device_touch(*, device: Device) -> None:
    """Note when a device was last seen, at most once a minute (no write per request)."""
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > timedelta(minutes=1):
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now


@transaction.atomic
def device_revoke(*, actor: User, device: Device) -> Device:
    """The owner, or a manager or administrator of the device's reserve, revokes its token (a lost phone)."""
    if device.user_id != actor.pk:
        membership = membership_require(user=actor, reserve=device.reserve)
        if membership.role not in WRITE_ALL_ROLES:
            raise PermissionDenied(_("Only the owner or a manager may revoke a device."))
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.revoked_by = actor
        device.save(update_fields=["revoked_at", "revoked_by"])
    return device
