"""Admin registrations live with each domain; Django's autodiscovery imports this module."""

from threats.enforcement import admin as enforcement_admin  # noqa: F401
from threats.fieldsync import admin as fieldsync_admin  # noqa: F401
from threats.records import admin as records_admin  # noqa: F401
from threats.risk import admin as risk_admin  # noqa: F401
