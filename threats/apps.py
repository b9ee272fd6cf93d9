from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThreatsConfig(AppConfig):
    name = "threats"
    verbose_name = _("Threats and wildlife")
