from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThreatsConfig(AppConfig):
    name = "threats"
    verbose_name = _("Threats and wildlife")

    def ready(self) -> None:
        from threats.records.api import schema  # noqa: F401  (registers the OpenAPI extension)
