from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("patrol.web_urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Field app (offline mobile web app for rangers): threats/field_urls.py
urlpatterns += [path("field/", include("threats.field_urls"))]

# Manager UI: GPX track upload (patrol/gpx_views.py)
from patrol import gpx_views  # noqa: E402

urlpatterns += [path("patrols/gpx/", gpx_views.gpx_upload, name="patrol-gpx-upload")]

# Manager UI: the risk map (threats/map_views.py)
urlpatterns += [path("", include("threats.web_urls"))]
