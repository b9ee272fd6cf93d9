from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from patrol.api import planning as planning_views
from patrol.api import views as patrol_views
from threats.api import views as threats_views

router = DefaultRouter()
router.register("reserves", patrol_views.ReserveViewSet, basename="reserve")
router.register("teams", patrol_views.TeamViewSet, basename="team")
router.register("posts", patrol_views.PostViewSet, basename="post")
router.register("access-points", patrol_views.AccessPointViewSet, basename="access-point")
router.register("zones", patrol_views.ZoneViewSet, basename="zone")
router.register("patrols", patrol_views.PatrolViewSet, basename="patrol")
router.register("route-plans", planning_views.RoutePlanViewSet, basename="route-plan")
router.register("valley-reaches", planning_views.ValleyReachViewSet, basename="valley-reach")
router.register("species", threats_views.SpeciesViewSet, basename="species")
router.register("snare-finds", threats_views.SnareFindViewSet, basename="snare-find")
router.register("incidents", threats_views.IncidentViewSet, basename="incident")
router.register("detections", threats_views.DetectionViewSet, basename="detection")
router.register("camera-deployments", threats_views.CameraDeploymentViewSet, basename="camera-deployment")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include(router.urls)),
]

# Field sync (threats/api/sync_views.py)
from threats.api import sync_views  # noqa: E402

urlpatterns += [
    path("sync/", sync_views.SyncBatchView.as_view(), name="sync-batch"),
    path("sync/login/", sync_views.DeviceLoginView.as_view(), name="sync-login"),
    path("sync/bootstrap/", sync_views.BootstrapView.as_view(), name="sync-bootstrap"),
    path("sync/records/<uuid:client_uuid>/", sync_views.RecordEditView.as_view(), name="sync-record-edit"),
    path("sync/photos/<uuid:record_uuid>/<str:sha256>/", sync_views.PhotoUploadView.as_view(), name="sync-photo"),
    path("sync/devices/", sync_views.DeviceListView.as_view(), name="sync-devices"),
    path("sync/devices/<int:pk>/revoke/", sync_views.DeviceRevokeView.as_view(), name="sync-device-revoke"),
]

# Risk model (threats/api/risk_views.py)
from threats.api import risk_views  # noqa: E402

urlpatterns += [
    path("risk/<slug:slug>/", risk_views.RiskStatusView.as_view(), name="risk-status"),
    path("risk/<slug:slug>/runs/", risk_views.RiskRunCreateView.as_view(), name="risk-run-create"),
    path("risk/<slug:slug>/explain/", risk_views.RiskExplainView.as_view(), name="risk-explain"),
    path("risk/<slug:slug>/valleys/", risk_views.RiskValleysView.as_view(), name="risk-valleys"),
]
