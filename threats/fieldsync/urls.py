from django.urls import path

from threats.fieldsync import views as field_views

urlpatterns = [
    path("", field_views.field_app, name="field-app"),
    path("manifest.webmanifest", field_views.manifest, name="field-manifest"),
    path("sw.js", field_views.service_worker, name="field-sw"),
]
