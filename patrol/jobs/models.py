"""Work that follows a commit: the outbox of Celery messages, and the one behaviour of background jobs.

See docs/adr/0005-outbox-and-jobs.md. `OutboxMessage` rows are written in the transaction of the data
they follow and handed to Celery on commit or, if the broker was down, by the periodic relay
(patrol.jobs.outbox). `Job` is the abstract model of every job row the worker computes (risk runs,
route plans, terrain imports): claimed atomically, a heartbeat while it runs, the error on failure,
and a sweep for jobs whose worker died (patrol.jobs.runner).
"""

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A Celery task to send once the transaction that wrote this row commits.

    `available_at` is the task's earliest start (a debounce sends it with that countdown); `sent_at`
    is set when the broker took it. Unsent rows are retried by the relay every
    IRBIS_OUTBOX_RELAY_SECONDS; `attempts` and `last_error` say why they are still waiting.
    """

    task_name = models.CharField(_("Celery task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    available_at = models.DateTimeField(_("run from"), default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(_("failed hand-offs"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent to the broker"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent_idx")]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)} #{self.pk}"


class Job(models.Model):
    """Abstract: a row the worker computes. Subclasses name their Celery task (`job_task`, called with
    the row's primary key) and may set fields to reset when the sweep queues the job again
    (`job_requeue_fields`) or fails it (`job_failed_fields`).

    queued -> running (claimed: `claimed_at`, `attempts` + 1; `heartbeat_at` beats while it runs)
    -> done, or failed with `error`. A running job whose heartbeat stopped goes back to queued (or
    to failed once `attempts` reaches IRBIS_JOB_MAX_ATTEMPTS).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    job_task: ClassVar[str]
    job_requeue_fields: ClassVar[dict] = {}
    job_failed_fields: ClassVar[dict] = {}

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        abstract = True
