from django.urls import path

from threats.risk import views as map_views

urlpatterns = [
    path("risk/", map_views.risk_map, name="risk-map"),
    path("risk/<slug:slug>/hillshade.png", map_views.risk_hillshade, name="risk-hillshade"),
    path("risk/<slug:slug>/runs/<int:run_id>/<str:layer>.png", map_views.risk_overlay, name="risk-overlay"),
]
