from django.urls import path

from patrol.patrols import views

urlpatterns = [
    path("gpx/", views.gpx_upload, name="patrol-gpx-upload"),
]
