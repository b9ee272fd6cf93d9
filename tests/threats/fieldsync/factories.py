"""Helpers for field-sync tests: devices with tokens, batch items, and API clients that hold a device token."""

import uuid
from typing import Any

from rest_framework.test import APIClient

from threats.fieldsync import devices as fieldsync_devices

POINT_IN_A = {"type": "Point", "coordinates": [87.41, 50.11]}


def device_with_token(user, reserve, device_id: str | None = None) -> tuple[Any, str]:
    return fieldsync_devices.device_login(
        user=user, reserve=reserve, device_id=device_id or f"dev-{uuid.uuid4().hex[:12]}"
    )


def device_client(user, reserve, device_id: str | None = None) -> tuple[APIClient, Any]:
    device, token = device_with_token(user, reserve, device_id)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client, device


def snare_item(client_uuid=None, recorded_at: str = "2026-01-10T09:00:00+07:00", **data: Any) -> dict[str, Any]:
    fields = {"location": POINT_IN_A, "gps_accuracy_m": 8.0, "found_at": "2026-01-10T08:55:00+07:00",
              "count": 1, "material": "wire", "state": "set", "action": "removed", **data}  # fmt: skip
    return {"kind": "snare_find", "client_uuid": str(client_uuid or uuid.uuid4()), "recorded_at": recorded_at,
            "data": fields}  # fmt: skip


def batch(device, *items: dict[str, Any]) -> dict[str, Any]:
    return {"device_id": device.device_id, "items": list(items)}
