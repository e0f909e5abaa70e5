from django.core.management.base import BaseCommand

from cms.demo.content import load_demo


class Command(BaseCommand):
    help = "Create demo content: a superuser, a Demo collection of media and a catalogue."

    def handle(self, *args, **options):
        report = load_demo()
        self.stdout.write(
            f"Demo content: {report.products_created} products, {report.images_created} images "
            f"and {report.documents_created} documents added."
        )
        for message in report.messages:
            self.stdout.write(message)
        if report.admin_password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Superuser created: {report.admin_username} / {report.admin_password} "
                    "(local use only; set DEMO_ADMIN_PASSWORD to choose another)."
                )
            )
        else:
            self.stdout.write(f"Superuser {report.admin_username!r} already exists.")
