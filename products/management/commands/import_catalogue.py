import argparse
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from products.catalogue.importer import import_bundle


class Command(BaseCommand):
    help = "Import a catalogue bundle (folder or .zip with catalogue.json or catalogue.csv)."

    def add_arguments(self, parser):
        parser.add_argument("bundle", help="path to the bundle folder or .zip")
        parser.add_argument("--parent", help="catalogue page (id or URL path) for the products")
        parser.add_argument("--dry-run", action="store_true", help="validate and report only")
        parser.add_argument("--report", help="write the JSON report to this file")
        parser.add_argument(
            "--renditions",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="make the new images' renditions after the import commits, before exiting "
            "(default); with --no-renditions they are left to the queued background tasks",
        )

    def handle(self, *args, bundle, parent, dry_run, report, renditions, **options):
        report_data = import_bundle(
            bundle,
            parent=parent,
            dry_run=dry_run,
            progress=self.progress(),
            renditions=renditions,
        )
        if report:
            with open(report, "w", encoding="utf-8") as file:
                json.dump(report_data.as_json(), file, indent=2, ensure_ascii=False)
        for warning in report_data.warnings:
            self.stderr.write(f"warning: {warning}")
        for error in report_data.errors:
            self.stderr.write(f"error: {error}")
        p, i, d = report_data.products, report_data.images, report_data.documents
        self.stdout.write(
            ("Dry run, nothing written. " if dry_run else "")
            + f"Products: {p['created']} created, {p['updated']} updated, "
            f"{p['unchanged']} unchanged. Images: {i['created']} created, {i['reused']} reused. "
            f"Documents: {d['created']} created, {d['reused']} reused."
        )
        if not report_data.ok:
            raise CommandError(f"{len(report_data.errors)} errors: nothing was imported.")

    def progress(self):
        if not sys.stderr.isatty():
            return None

        def show(done, total):
            bar = "#" * (30 * done // max(total, 1))
            sys.stderr.write(f"\r[{bar:<30}] {done}/{total} products")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

        return show
