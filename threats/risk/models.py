"""Snare-threat risk runs and their stored layers."""

from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.storage import private_storage
from patrol.jobs.models import Job
from patrol.reserves.models import Reserve


def risk_layer_folder(run: "RiskRun") -> str:
    return f"risk/reserve-{run.reserve_id}/run-{run.pk}"


def risk_layer_upload_to(instance: "RiskRun", filename: str) -> str:
    return f"{risk_layer_folder(instance)}/{filename}"


class RiskRun(Job):
    """One computation of the snare-threat risk model for a reserve, and its layers (a job: status,
    claim, heartbeat, attempts and error come from patrol.jobs.models.Job).

    Layers are GeoTIFFs on the reserve's terrain grid (`grid_srid`, `grid_geotransform`, `grid_width`
    x `grid_height`, copied from the TerrainGrid used, which a DEM re-import replaces). At most one
    run per reserve waits in the queue (a partial unique constraint): that is how repeated triggers
    coalesce into one recompute.
    """

    job_task = "threats.risk.tasks.risk_run_compute_task"
    job_requeue_fields = {"progress": 0, "stage": "queued again (the worker stopped)"}
    job_failed_fields = {"stage": "failed"}

    class Trigger(models.TextChoices):
        DATA = "data", _("New data")
        NIGHTLY = "nightly", _("Nightly")
        MANUAL = "manual", _("On request")

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="risk_runs")
    terrain = models.ForeignKey(
        "patrol.TerrainGrid", on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_runs"
    )
    grid_srid = models.PositiveIntegerField(null=True, blank=True)
    grid_geotransform = models.JSONField(null=True, blank=True)
    grid_width = models.PositiveIntegerField(null=True, blank=True)
    grid_height = models.PositiveIntegerField(null=True, blank=True)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.DATA)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    not_before = models.DateTimeField(_("starts after"), null=True, blank=True)
    model_version = models.CharField(_("model version"), max_length=200, blank=True)
    inputs_start = models.DateTimeField(_("data from"), null=True, blank=True)
    inputs_end = models.DateTimeField(_("data until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    snares = models.FileField(_("expected snare lines per cell per year (GeoTIFF)"), upload_to=risk_layer_upload_to,
                              storage=private_storage, blank=True)  # fmt: skip
    uncertainty = models.FileField(_("standard deviation of the snare layer (GeoTIFF)"),
                                   upload_to=risk_layer_upload_to, storage=private_storage, blank=True)  # fmt: skip
    leopard = models.FileField(_("leopard risk (GeoTIFF)"), upload_to=risk_layer_upload_to, storage=private_storage,
                               blank=True)  # fmt: skip
    leopard_uncertainty = models.FileField(_("standard deviation of the leopard risk layer (GeoTIFF)"),
                                           upload_to=risk_layer_upload_to, storage=private_storage,
                                           blank=True)  # fmt: skip
    effort = models.FileField(_("patrol effort, km within the detection radius (GeoTIFF)"),
                              upload_to=risk_layer_upload_to, storage=private_storage, blank=True)  # fmt: skip
    explain_layers = models.FileField(_("per-cell explanation layers (NumPy .npz)"), upload_to=risk_layer_upload_to,
                                      storage=private_storage, blank=True)  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="riskrun_progress_at_most_100"),
            models.UniqueConstraint(
                fields=["reserve"], condition=Q(status="queued"), name="riskrun_one_queued_per_reserve"
            ),
        ]
        indexes = [models.Index(fields=["reserve", "status", "finished_at"])]

    def __str__(self) -> str:
        return f"Risk run #{self.pk} ({self.get_status_display()})"
