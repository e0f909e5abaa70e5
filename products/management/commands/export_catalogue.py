from django.core.management.base import BaseCommand, CommandError

from products.catalogue.exporter import ExportFailed, export_bundle


class Command(BaseCommand):
    help = "Export every product with its media as a bundle (a folder, or OUT.zip)."

    def add_arguments(self, parser):
        parser.add_argument("out", help="folder to create, or a path ending in .zip")

    def handle(self, *args, out, **options):
        try:
            report = export_bundle(out)
        except ExportFailed as error:
            raise CommandError(f"nothing was exported: {error}") from error
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(
            f"Exported {report.products} products, {report.images} images and "
            f"{report.documents} documents to {out}."
            + (f" {len(report.warnings)} warnings." if report.warnings else "")
        )
