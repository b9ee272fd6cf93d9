"""The one entry point for work that must follow a change of the evidence.

Snare finds, incidents, detections and patrols (their times and tracks) are the evidence the risk
model reads. Every write that changes them, whatever its path (API, field sync, GPX and package
imports, the admin), calls `evidence_changed` in its transaction. That writes outbox messages
(patrol.jobs.outbox), sent to Celery after the commit:

- one risk recompute for the reserve: threats.risk.tasks.risk_recompute_task, which keeps the debounce
  (one queued RiskRun per reserve; later triggers join it);
- one track measuring per patrol whose track changed: patrol.patrols.tasks.patrol_track_measure_task.

Tasks are named by string: the threats app builds on patrol, so patrol never imports it.
"""

from collections.abc import Iterable

from patrol.jobs.models import OutboxMessage
from patrol.jobs.outbox import outbox_message, outbox_write

RISK_RECOMPUTE_TASK = "threats.risk.tasks.risk_recompute_task"
TRACK_MEASURE_TASK = "patrol.patrols.tasks.patrol_track_measure_task"


def evidence_changed(*, reserve_id: int, patrol_ids: Iterable[int] = ()) -> list[OutboxMessage]:
    """Queue the follow-up work of a change to the reserve's evidence, on commit of the current
    transaction: the debounced risk recompute, and the measuring of each patrol in `patrol_ids`
    (the patrols whose track changed). A rolled-back write queues nothing."""
    messages = [outbox_message(RISK_RECOMPUTE_TASK, reserve_id=reserve_id)]
    messages += [outbox_message(TRACK_MEASURE_TASK, patrol_id) for patrol_id in sorted(set(patrol_ids))]
    return outbox_write(messages)
