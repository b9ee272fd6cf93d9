from django.urls import path, re_path

from threats.reports import views

urlpatterns = [
    path("reports/", views.report_page, name="reports"),
    re_path(r"^reports/(?P<slug>[-\w]+)/export\.(?P<fmt>csv|pdf|json)$", views.report_export, name="report-export"),
    re_path(r"^reports/(?P<slug>[-\w]+)/map/(?P<layer>finds|effort)\.geojson$", views.report_map, name="report-map"),
]
