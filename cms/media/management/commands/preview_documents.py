from django.core.management.base import BaseCommand

from cms.media.previews import queue_missing_previews


class Command(BaseCommand):
    help = (
        "Queue the preview task (first-page preview, page count, text) for every document "
        "whose preview was not made from its current file, e.g. after upgrading."
    )

    def handle(self, *args, **options):
        queued = queue_missing_previews()
        self.stdout.write(f"{queued} documents queued for a preview.")
