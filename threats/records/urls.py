from django.urls import path

from threats.records import views

urlpatterns = [
    path("", views.home, name="home"),
]
