import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from threats.interchange.demo_seed import private_dir


class Command(BaseCommand):
    help = "Copy a demo reserve's hidden truth (snare intensity, every snare set) out for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--reserve", required=True, help="Slug of a reserve made by seed_demo")
        parser.add_argument("--out", required=True, help="Folder to write into")

    def handle(self, *args, reserve: str, out: str, **options):
        source = private_dir(reserve)
        if not source.is_dir():
            raise CommandError(f"No hidden truth for '{reserve}': only reserves made by seed_demo have one.")
        target = Path(out)
        shutil.copytree(source, target, dirs_exist_ok=True)
        self.stdout.write(f"Wrote {', '.join(sorted(p.name for p in target.iterdir()))} to {target}")
