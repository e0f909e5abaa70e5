from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cms.media.audit import audit_media


class Command(BaseCommand):
    help = (
        "List image, rendition and document rows whose files are missing, and files in "
        "storage that no row references. --delete removes those orphan files once they are "
        "older than the grace period (MEDIA_AUDIT_GRACE_SECONDS) and still unreferenced, and "
        "the files of replaced images once MEDIA_REPLACED_GRACE_SECONDS have passed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete the orphan files")
        parser.add_argument(
            "--grace",
            type=int,
            metavar="SECONDS",
            help=(
                "with --delete, delete only orphan files at least this old (default "
                f"MEDIA_AUDIT_GRACE_SECONDS, {settings.MEDIA_AUDIT_GRACE_SECONDS}). A file "
                "saved inside a transaction that has not committed yet (an import, an upload, "
                "a rendition being made) has no row yet and looks orphaned; the grace period "
                "must be longer than any such transaction. Lower it only when no import or "
                "upload is running, e.g. to clean up at once after a killed import."
            ),
        )

    def handle(self, *args, delete, grace, **options):
        if grace is not None and grace < 0:
            raise CommandError(f"--grace {grace}: the grace period cannot be negative.")
        report = audit_media(delete=delete, grace=grace)
        kept = dict(report.kept)
        for kind, pk, name in report.missing:
            self.stdout.write(f"missing file: {kind} {pk} -> {name}")
        for name in report.orphans:
            if name in kept:
                self.stdout.write(f"kept: {name}: {kept[name]}")
            else:
                self.stdout.write(f"{'deleted' if name in report.deleted else 'orphan'}: {name}")
        for name, until in report.retired:
            if name not in report.deleted:
                self.stdout.write(f"replaced, kept until {until:%Y-%m-%d %H:%M} UTC: {name}")
            else:
                self.stdout.write(f"deleted (replaced, grace period over): {name}")
        self.stdout.write(
            f"{len(report.missing)} rows with missing files, {len(report.orphans)} orphan files"
            + (f", {len(report.deleted)} deleted, {len(kept)} kept." if delete else ".")
        )
