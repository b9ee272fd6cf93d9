from django.core.management.base import BaseCommand, CommandError

from patrol.reserves.models import Reserve
from threats.enforcement.verification import custody_chain_breaks, evidence_verify


class Command(BaseCommand):
    help = (
        "Re-hash every evidence original (SHA-256) and compare with the hash registered when it was received. "
        "Exits non-zero naming each item whose original changed or went missing, or whose custody log's hash "
        "chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reserve", metavar="SLUG", help="Only this reserve's evidence.")

    def handle(self, *args, reserve: str | None = None, **options):
        chosen = None
        if reserve is not None:
            chosen = Reserve.objects.filter(slug=reserve).first()
            if chosen is None:
                raise CommandError(f"No reserve with slug {reserve!r}.")
        checked, failed = 0, 0
        for check in evidence_verify(reserve=chosen):
            checked += 1
            if check.status == "ok":
                continue
            failed += 1
            where = f"evidence item {check.item_id} ({check.reserve_slug}): {check.path}"
            if check.status == "missing":
                self.stderr.write(f"MISSING {where}")
            else:
                self.stderr.write(f"CHANGED {where}: registered {check.expected}, now {check.actual}")
        breaks = custody_chain_breaks(reserve=chosen)
        for item_id, event_id, slug in breaks:
            self.stderr.write(f"CUSTODY evidence item {item_id} ({slug}): custody event {event_id} does not match "
                              "its hash chain (changed, or an earlier event removed)")  # fmt: skip
        problems = []
        if failed:
            problems.append(f"{failed} of {checked} originals failed the check.")
        if breaks:
            problems.append(f"{len(breaks)} custody events broke their hash chain.")
        if problems:
            raise CommandError(" ".join(problems))
        self.stdout.write(f"All {checked} originals match their SHA-256.")
