from django.core.management.base import BaseCommand

from cms.media.expiry import expire_images


class Command(BaseCommand):
    help = (
        "Refresh, in the edge cache, the live pages of images that passed their last day "
        "(expires) since the last run, and record a notice Moderators see on the admin "
        "dashboard. Run it after midnight and hourly (docs/deployment.md); a second run in a "
        "row finds nothing new."
    )

    def handle(self, *args, **options):
        done = expire_images()
        for entry in done:
            image = entry.image
            self.stdout.write(
                f"expired: image {image.pk} “{image.title}” (last day {image.expires}), "
                f"{len(entry.pages)} live page(s) refreshed"
            )
        self.stdout.write(f"{len(done)} image(s) newly expired.")
