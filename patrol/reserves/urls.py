from django.contrib.auth import views as auth_views
from django.urls import path

from patrol.reserves import views
from patrol.reserves.forms import ThrottledAuthenticationForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reserve/switch/", views.reserve_switch, name="reserve-switch"),
]
