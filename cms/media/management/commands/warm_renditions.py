import os
import sys

from django.core.management.base import BaseCommand

from cms.media.warm import warm_renditions


class Command(BaseCommand):
    help = "Create every rendition the templates use, for every image that lacks one."

    def add_arguments(self, parser):
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help=f"processes to use (this machine has {os.cpu_count()} cores)",
        )

    def handle(self, *args, jobs, **options):
        tty = sys.stderr.isatty()

        def progress(done, total):
            if tty:
                bar = "#" * (30 * done // max(total, 1))
                sys.stderr.write(f"\r[{bar:<30}] {done}/{total} images")
                sys.stderr.flush()
            else:
                self.stderr.write(f"{done}/{total} images")

        report = warm_renditions(jobs=jobs, progress=progress)
        if tty:
            sys.stderr.write("\n")
        self.stdout.write(
            f"{report.images} images checked, {report.created} renditions and "
            f"{report.placeholders} placeholders created."
        )
        for pk, title, error in report.failed:
            self.stderr.write(f"image {pk} “{title}”: {error}")
        if report.failed:
            raise SystemExit(1)
