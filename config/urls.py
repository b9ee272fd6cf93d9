from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on every page: answer with the app's icon instead of a 404.
    path("favicon.ico", RedirectView.as_view(url=static_url("field/icon-192.png"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("field/", include("threats.fieldsync.urls")),
    path("patrols/", include("patrol.patrols.urls")),
    path("schedule/", include("patrol.scheduling.urls")),
    path("planning/", include("patrol.routing.urls")),
    path("", include("threats.risk.urls")),
    path("", include("threats.reports.urls")),
    path("", include("threats.records.urls")),
    path("", include("patrol.reserves.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
