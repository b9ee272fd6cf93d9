"""Admin registrations live with each domain; Django's autodiscovery imports this module."""

from django.contrib import admin

from patrol.patrols import admin as patrols_admin  # noqa: F401
from patrol.reserves import admin as reserves_admin  # noqa: F401
from patrol.reserves.forms import ThrottledAdminAuthenticationForm
from patrol.routing import admin as routing_admin  # noqa: F401
from patrol.scheduling import admin as scheduling_admin  # noqa: F401
from patrol.terrain import admin as terrain_admin  # noqa: F401

# The admin's sign-in is throttled like every other login path.
admin.site.login_form = ThrottledAdminAuthenticationForm
