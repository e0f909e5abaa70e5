from django.core.management.base import BaseCommand

from cms.demo.content import load_demo


class Command(BaseCommand):
    help = (
        "Create demo content: a Demo collection of media, a catalogue and, with DEBUG on, "
        "a superuser."
    )

    def handle(self, *args, **options):
        report = load_demo()
        self.stdout.write(
            f"Demo content: {report.products_created} products, {report.images_created} images "
            f"and {report.documents_created} documents added."
        )
        for message in report.messages:
            self.stdout.write(message)
        if report.admin_username is None:
            self.stdout.write(
                self.style.WARNING(
                    "No superuser created: DEBUG is off, and the demo password is published. "
                    "Create one with `manage.py createsuperuser`."
                )
            )
        elif report.admin_password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Superuser created: {report.admin_username} / {report.admin_password} "
                    "(local use only; set DEMO_ADMIN_PASSWORD to choose another)."
                )
            )
        else:
            self.stdout.write(f"Superuser {report.admin_username!r} already exists.")
