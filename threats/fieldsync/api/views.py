"""The field-sync API: device login and revocation, the offline bootstrap, batch sync, edits and photos.

Phones authenticate with a per-device token ("Authorization: Device <token>"), so one lost phone is
revoked without logging the ranger out elsewhere. Views check shapes and call threats.sync.
"""

import io
import re
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, exceptions, generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from config.api_errors import error_body
from config.storage import private_storage
from patrol.reserves.api.base import LoginThrottledError
from patrol.reserves.logins import LoginThrottled, authenticate_throttled
from patrol.reserves.selectors import reserves_for_user
from patrol.terrain.web_map import reserve_hillshade_get
from threats.fieldsync.api.serializers import (
    BatchSerializer,
    DeviceLoginSerializer,
    DeviceSerializer,
    EditSerializer,
    ItemSerializer,
)
from threats.fieldsync.devices import device_login, device_revoke, device_touch
from threats.fieldsync.edits import EditConflict, sync_record_edit
from threats.fieldsync.ingest import sync_batch_ingest
from threats.fieldsync.models import Device
from threats.fieldsync.parsing import ItemRejected, SyncItem
from threats.fieldsync.photos import PhotoRejected, photo_store
from threats.fieldsync.selectors import device_get_by_token, devices_for_user, field_bootstrap


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Device"

    def authenticate(self, request: Request) -> tuple[Any, Device] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid device token header."))
        device = device_get_by_token(token=parts[1].decode(errors="replace"))
        if device is None or not device.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked device token."))
        device_touch(device=device)
        return device.user, device

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "deviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": '"Device <token>", from POST /api/v1/sync/login/.'}  # fmt: skip


class BatchDocumentation(BatchSerializer):
    """For the schema only: the items as a phone sends them (the view checks each one alone)."""

    items = ItemSerializer(many=True)  # type: ignore[assignment]


class DeviceView(APIView):
    """Endpoints a phone calls: only a device token authenticates them."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @property
    def device(self) -> Device:
        if not isinstance(self.request.auth, Device):
            raise exceptions.NotAuthenticated(_("A device token is required."))
        return self.request.auth


class DeviceLoginView(APIView):
    """POST username, password, device_id [, device_name, reserve]: a token for this device (shown once)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=DeviceLoginSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        serializer = DeviceLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            user = authenticate_throttled(request, username=data["username"], password=data["password"])
        except LoginThrottled as exc:
            raise LoginThrottledError(exc) from exc
        if user is None:
            return Response(error_body("invalid_credentials", _("Wrong username or password.")), status=400)
        reserves = list(reserves_for_user(user=user))
        if "reserve" in data:
            reserves = [r for r in reserves if r.slug == data["reserve"]]
            if not reserves:
                message = _("No reserve '%(slug)s' among your reserves.") % {"slug": data["reserve"]}
                return Response(error_body("invalid", message, {"reserve": [message]}), status=400)
        if len(reserves) != 1:
            message = _("Choose a reserve.") if reserves else _("You are not a member of any reserve.")
            return Response(
                error_body("reserve_required", message, {"reserve": [r.slug for r in reserves]}), status=400
            )
        device, token = device_login(
            user=user, reserve=reserves[0], device_id=data["device_id"], name=data["device_name"]
        )
        return Response(
            {"token": token, "device": DeviceSerializer(device).data, "user": {"username": user.get_username()}},
            status=status.HTTP_201_CREATED,
        )


class BootstrapView(DeviceView):
    """What the phone keeps for offline use: reserve, species, teams, assigned patrols, limits."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        from django.conf import settings

        body = field_bootstrap(user=request.user, reserve=self.device.reserve)
        body["limits"] = {
            "max_batch_items": settings.IRBIS_SYNC_MAX_BATCH_ITEMS,
            "max_photo_bytes": settings.IRBIS_SYNC_MAX_PHOTO_BYTES,
            "photo_types": settings.IRBIS_SYNC_PHOTO_TYPES,
            "photo_max_px": settings.IRBIS_SYNC_PHOTO_MAX_PX,
            "accuracy_flag_m": settings.IRBIS_SYNC_ACCURACY_FLAG_M,
        }
        body["user"] = {"username": request.user.get_username()}
        return Response(body)


class HillshadeView(DeviceView):
    """The reserve's hillshade PNG for the phone's offline map (kept in the app's cache, see route.js)."""

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request: Request) -> HttpResponse:
        found = reserve_hillshade_get(self.device.reserve)
        if found is None or not private_storage.exists(found[1]):
            raise Http404(_("This map layer has not been drawn yet."))
        with private_storage.open(found[1], "rb") as handle:
            response = HttpResponse(handle.read(), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class SyncBatchView(DeviceView):
    """POST {"device_id", "items": [...]}: one result per item, in order (created, duplicate, rejected)."""

    @extend_schema(request=BatchDocumentation, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        device = request.auth if isinstance(request.auth, Device) else None  # else: 400 for the body, then 401
        raw_items = BatchSerializer.well_formed_items(request.data, device.device_id) if device else None
        if raw_items is None:
            batch = BatchSerializer(data=request.data)
            batch.is_valid(raise_exception=True)
            if batch.validated_data["device_id"] != self.device.device_id:
                raise exceptions.ValidationError({"device_id": [_("This token belongs to another device.")]})
            raw_items = batch.validated_data["items"]
        results: list[dict[str, Any] | None] = []
        items: list[SyncItem] = []
        envelope = ItemSerializer()  # one instance for all items: its fields are built once
        for raw in raw_items:
            try:
                items.append(SyncItem(**(envelope.well_formed(raw) or envelope.run_validation(raw))))
                results.append(None)
            except exceptions.ValidationError as exc:
                client_uuid = raw.get("client_uuid") if isinstance(raw, dict) else None
                detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
                errors = {k: [str(m) for m in v] for k, v in detail.items()}
                results.append({"client_uuid": client_uuid, "status": "rejected", "id": None, "errors": errors})
        done = iter(sync_batch_ingest(actor=request.user, device=self.device, items=items))
        return Response({"results": [r if r is not None else next(done).result for r in results]})


class RecordEditView(DeviceView):
    """PATCH {"version", "data"} on a synced record (by client UUID); 409 if the version is stale."""

    @extend_schema(request=EditSerializer, responses=OpenApiTypes.OBJECT)
    def patch(self, request: Request, client_uuid: Any) -> Response:
        serializer = EditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            record = sync_record_edit(
                actor=request.user, device=self.device, client_uuid=client_uuid,
                version=serializer.validated_data["version"], data=serializer.validated_data["data"],
            )  # fmt: skip
        except ItemRejected as exc:
            raise exceptions.ValidationError(exc.errors) from exc
        except EditConflict as exc:
            message = _("This record changed since: it is at version %(v)d.") % {"v": exc.current_version}
            body = error_body("conflict", message, {"version": [message]})
            body["current_version"] = exc.current_version
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response({"client_uuid": str(client_uuid), "id": record.pk, "version": record.version})


PHOTO_STATUS = {"too_large": 413, "unsupported_type": 415, "hash_mismatch": 400, "invalid": 400}


class PhotoUploadView(DeviceView):
    """PUT the photo's bytes (Content-Type image/...) at /sync/photos/<record client UUID>/<sha256>/.

    Headers: X-Original-SHA256 (the camera original's hash, if the phone downscaled it), X-Downscaled: 1.
    201 when stored, 200 when this photo was already there.
    """

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT})
    def put(self, request: Request, record_uuid: Any, sha256: str) -> Response:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
            raise exceptions.ValidationError({"sha256": [_("A SHA-256 is 64 hexadecimal characters.")]})
        length = request.META.get("CONTENT_LENGTH")
        try:
            photo, created = photo_store(
                actor=request.user, device=self.device, record_uuid=record_uuid, sha256=sha256,
                content_type=request.META.get("CONTENT_TYPE", ""), stream=request.stream or io.BytesIO(),
                declared_size=int(length) if length and length.isdigit() else None,
                original_sha256=request.META.get("HTTP_X_ORIGINAL_SHA256", "")[:64],
                downscaled=request.META.get("HTTP_X_DOWNSCALED", "") in ("1", "true"),
            )  # fmt: skip
        except PhotoRejected as exc:
            return Response(error_body(exc.code, exc.message), status=PHOTO_STATUS[exc.code])
        body = {"id": photo.pk, "record_uuid": str(photo.record_uuid), "sha256": photo.sha256,
                "size_bytes": photo.size_bytes, "created": created}  # fmt: skip
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DeviceListView(generics.ListAPIView):
    """The user's devices, and those of the reserves they manage."""

    authentication_classes = [DeviceTokenAuthentication, *api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    serializer_class = DeviceSerializer

    def get_queryset(self):
        return devices_for_user(user=self.request.user).order_by("-created_at")


class DeviceRevokeView(APIView):
    """POST: revoke a device's token (the owner, or a manager of its reserve). Others' devices are 404."""

    authentication_classes = [DeviceTokenAuthentication, *api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    @extend_schema(request=None, responses=DeviceSerializer)
    def post(self, request: Request, pk: int) -> Response:
        device = get_object_or_404(devices_for_user(user=request.user), pk=pk)
        device_revoke(actor=request.user, device=device)
        return Response(DeviceSerializer(device).data)
