from django.urls import path

from patrol.patrols import coverage_views, views

urlpatterns = [
    path("gpx/", views.gpx_upload, name="patrol-gpx-upload"),
    path("coverage/", coverage_views.coverage_page, name="patrol-coverage"),
    path("<int:pk>/", coverage_views.patrol_page, name="patrol-page"),
]
