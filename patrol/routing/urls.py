from django.urls import path

from patrol.routing import views

urlpatterns = [
    path("", views.planning, name="planning"),
]
