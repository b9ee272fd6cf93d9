"""The REST API under /api/v1/: each domain's views, in one place."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from patrol.patrols.api import views as patrol_views
from patrol.reserves.api import views as reserve_views
from patrol.routing import api as routing_views
from threats.enforcement.api import views as enforcement_views
from threats.fieldsync.api import views as sync_views
from threats.records.api import views as records_views
from threats.risk.api import views as risk_views

router = DefaultRouter()
router.register("reserves", reserve_views.ReserveViewSet, basename="reserve")
router.register("teams", reserve_views.TeamViewSet, basename="team")
router.register("posts", reserve_views.PostViewSet, basename="post")
router.register("access-points", reserve_views.AccessPointViewSet, basename="access-point")
router.register("zones", reserve_views.ZoneViewSet, basename="zone")
router.register("patrols", patrol_views.PatrolViewSet, basename="patrol")
router.register("route-plans", routing_views.RoutePlanViewSet, basename="route-plan")
router.register("valley-reaches", routing_views.ValleyReachViewSet, basename="valley-reach")
router.register("species", records_views.SpeciesViewSet, basename="species")
router.register("snare-finds", records_views.SnareFindViewSet, basename="snare-find")
router.register("incidents", records_views.IncidentViewSet, basename="incident")
router.register("detections", records_views.DetectionViewSet, basename="detection")
router.register("camera-deployments", records_views.CameraDeploymentViewSet, basename="camera-deployment")
router.register("enforcement-actions", enforcement_views.EnforcementActionViewSet, basename="enforcement-action")
router.register("suspects", enforcement_views.SuspectViewSet, basename="suspect")
router.register("cases", enforcement_views.CaseViewSet, basename="case")
router.register("evidence", enforcement_views.EvidenceItemViewSet, basename="evidence-item")
router.register("custody-events", enforcement_views.CustodyEventViewSet, basename="custody-event")

urlpatterns = [
    path("auth/token/", reserve_views.AuthTokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
    path("sync/", sync_views.SyncBatchView.as_view(), name="sync-batch"),
    path("sync/login/", sync_views.DeviceLoginView.as_view(), name="sync-login"),
    path("sync/bootstrap/", sync_views.BootstrapView.as_view(), name="sync-bootstrap"),
    path("sync/records/<uuid:client_uuid>/", sync_views.RecordEditView.as_view(), name="sync-record-edit"),
    path("sync/photos/<uuid:record_uuid>/<str:sha256>/", sync_views.PhotoUploadView.as_view(), name="sync-photo"),
    path("sync/devices/", sync_views.DeviceListView.as_view(), name="sync-devices"),
    path("sync/devices/<int:pk>/revoke/", sync_views.DeviceRevokeView.as_view(), name="sync-device-revoke"),
    path("risk/<slug:slug>/", risk_views.RiskStatusView.as_view(), name="risk-status"),
    path("risk/<slug:slug>/runs/", risk_views.RiskRunCreateView.as_view(), name="risk-run-create"),
    path("risk/<slug:slug>/explain/", risk_views.RiskExplainView.as_view(), name="risk-explain"),
    path("risk/<slug:slug>/valleys/", risk_views.RiskValleysView.as_view(), name="risk-valleys"),
]
