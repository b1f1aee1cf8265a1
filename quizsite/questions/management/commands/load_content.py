from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quizsite.questions.content import ContentErrors, load


class Command(BaseCommand):
    help = "Validate the content files and load them (upsert by id; missing items are retired)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="validate every file, write nothing")
        parser.add_argument("--path", default=None, help="content folder (default: settings.CONTENT_DIR)")

    def handle(self, *args, check: bool = False, path: str | None = None, **options) -> None:
        from pathlib import Path

        root = Path(path) if path else settings.CONTENT_DIR
        try:
            report = load(root, check=check)
        except ContentErrors as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s) in {root}; nothing was loaded") from None
        if check:
            summary = ", ".join(f"{count} {name}" for name, count in report.parsed.items())
            self.stdout.write(self.style.SUCCESS(f"Content is valid: {summary}."))
            return
        for kind, counts in report.counts.items():
            self.stdout.write(f"{kind}: {counts}")
        self.stdout.write(self.style.SUCCESS("Content loaded."))
