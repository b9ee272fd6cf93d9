from django.urls import path

from threats.records import views
from threats.records.browser import views as browser

urlpatterns = [
    path("", views.home, name="home"),
    path("records/", browser.browse_home, name="records-home"),
    path("records/photos/<int:pk>/thumbnail.jpg", browser.photo_thumbnail, name="records-photo-thumbnail"),
    path("records/photos/<int:pk>/original/", browser.photo_original, name="records-photo-original"),
    path("records/evidence/<int:pk>/thumbnail.jpg", browser.evidence_thumbnail, name="records-evidence-thumbnail"),
    path("records/evidence/<int:pk>/original/", browser.evidence_original, name="records-evidence-original"),
    path("records/<slug:section>/", browser.browse, name="records-browse"),
    path("records/<slug:section>/<int:pk>/", browser.detail, name="records-detail"),
]
