from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from patrol.reserves.models import Reserve
from threats.interchange.demo_seed import DEMO_PASSWORD, DEMO_SLUG, demo_reserve_seed
from threats.interchange.reserve_package import reserve_package_export
from threats.risk.compute import risk_compute_now


class Command(BaseCommand):
    help = "Create the synthetic Argut demo reserve (deterministic for a given --seed and --end-date)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--slug", default=DEMO_SLUG)
        parser.add_argument("--end-date", help="Last day of the simulated year, YYYY-MM-DD (default: today)")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the reserve already exists")
        parser.add_argument("--package", help="Also write the reserve as a reserve package into this folder")
        parser.add_argument("--skip-risk", action="store_true", help="Do not compute the first risk map")

    def handle(self, *args, seed: int, slug: str, end_date: str | None, if_empty: bool, package: str | None,
               skip_risk: bool, **options):  # fmt: skip
        if Reserve.objects.filter(slug=slug).exists():
            if if_empty:
                self.stdout.write(f"Demo reserve '{slug}' already exists; left as it is.")
                self._print_logins(slug)
                return
            raise CommandError(f"Reserve '{slug}' already exists. Delete it first, or use --if-empty.")
        end = None
        if end_date:
            try:
                end = datetime.strptime(end_date, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError as exc:
                raise CommandError(f"--end-date must be YYYY-MM-DD, not {end_date!r}") from exc
        reserve = demo_reserve_seed(seed=seed, end=end, slug=slug)
        counts = {
            "patrols": reserve.patrols.count(),
            "snare finds": reserve.snare_finds.count(),
            "incidents": reserve.incidents.count(),
            "detections": reserve.detections.count(),
            "camera deployments": reserve.camera_deployments.count(),
        }
        self.stdout.write(self.style.SUCCESS(f"Created demo reserve '{reserve.slug}' (seed {seed}): ")
                          + ", ".join(f"{n} {k}" for k, n in counts.items()))  # fmt: skip
        if not skip_risk:
            run = risk_compute_now(reserve=reserve, end=end)
            self.stdout.write(f"Risk map computed ({run.status}, model {run.model_version}).")
        if package:
            reserve_package_export(reserve=reserve, folder=package)
            self.stdout.write(f"Wrote the demo reserve as a reserve package to {package}")
        self._print_logins(slug)

    def _print_logins(self, slug: str) -> None:
        prefix = "" if slug == DEMO_SLUG else f"{slug}-"
        self.stdout.write(
            f"Demo logins (password '{DEMO_PASSWORD}' for all): {prefix}manager (manager, sees exact leopard "
            f"locations), {prefix}admin (reserve admin), {prefix}analyst (read-only, generalised locations), "
            f"{prefix}ranger1 .. {prefix}ranger12 (rangers, 3 per team)"
        )
