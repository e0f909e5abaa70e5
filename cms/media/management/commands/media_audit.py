from django.core.management.base import BaseCommand

from cms.media.audit import audit_media


class Command(BaseCommand):
    help = (
        "List image, rendition and document rows whose files are missing, and files in "
        "storage that no row references. --delete removes those orphan files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete the orphan files")

    def handle(self, *args, delete, **options):
        report = audit_media(delete=delete)
        for kind, pk, name in report.missing:
            self.stdout.write(f"missing file: {kind} {pk} -> {name}")
        for name in report.orphans:
            state = "deleted" if name in report.deleted else "orphan"
            self.stdout.write(f"{state}: {name}")
        self.stdout.write(
            f"{len(report.missing)} rows with missing files, {len(report.orphans)} orphan files"
            + (f", {len(report.deleted)} deleted." if delete else ".")
        )
