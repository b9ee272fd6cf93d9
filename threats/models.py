"""Django loads an app's models from here: each domain keeps its own models module."""

from config.storage import PrivateFileStorage, private_storage
from threats.enforcement.models import Case, CaseEvent, CustodyEvent, EnforcementAction, EvidenceItem, Suspect
from threats.fieldsync.models import Device, Photo, SyncReceipt
from threats.records.models import CameraDeployment, Detection, FieldRecord, Incident, SnareFind, Species
from threats.risk.models import RiskRun, risk_layer_upload_to

__all__ = [
    "Case",
    "CaseEvent",
    "CustodyEvent",
    "EnforcementAction",
    "EvidenceItem",
    "Suspect",
    "CameraDeployment",
    "Detection",
    "Device",
    "FieldRecord",
    "Incident",
    "Photo",
    "PrivateFileStorage",
    "RiskRun",
    "SnareFind",
    "Species",
    "SyncReceipt",
    "private_storage",
    "risk_layer_upload_to",
]
