"""`manage.py import_catalogue BUNDLE`: a thin shell over products/catalogue/importer.py.

Progress goes to stderr: a bar (tqdm) on a terminal, else a plain line every tenth of the
way. `--plan` prints what the import would do and writes nothing; `--json` prints the JSON
report (or, with `--plan`, the plan's summary) on stdout, and nothing else there.
"""

import argparse
import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from products.catalogue.importer import import_bundle, plan_bundle


class Command(BaseCommand):
    help = "Import a catalogue bundle (folder or .zip with catalogue.json or catalogue.csv)."

    def add_arguments(self, parser):
        parser.add_argument("bundle", help="path to the bundle folder or .zip")
        parser.add_argument("--parent", help="catalogue page (id or URL path) for the products")
        parser.add_argument("--dry-run", action="store_true", help="validate and report only")
        parser.add_argument(
            "--plan",
            dest="plan_only",
            action="store_true",
            help="print what the import would do to each product, and write nothing",
        )
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="print the JSON report (or plan) on stdout",
        )
        parser.add_argument("--report", help="write the JSON report to this file")
        parser.add_argument(
            "--renditions",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="make the new images' renditions after the import commits, before exiting "
            "(default); with --no-renditions they are left to the queued background tasks",
        )

    def handle(
        self, *args, bundle, parent, dry_run, plan_only, as_json, report, renditions, **options
    ):
        if plan_only:
            self.show_plan(plan_bundle(bundle, parent=parent), as_json=as_json)
            return
        progress = progress_for(self.stderr)
        try:
            report_data = import_bundle(
                bundle,
                parent=parent,
                dry_run=dry_run,
                progress=progress,
                renditions=renditions,
            )
        finally:
            progress.close()
        if report:
            with open(report, "w", encoding="utf-8") as file:
                write_json(file, report_data.as_json())
        self.show_problems(report_data)
        if as_json:
            write_json(self.stdout, report_data.as_json())
        else:
            p, i, d = report_data.products, report_data.images, report_data.documents
            self.stdout.write(
                ("Dry run, nothing written. " if dry_run else "")
                + f"Products: {p['created']} created, {p['updated']} updated, "
                f"{p['unchanged']} unchanged. Images: {i['created']} created, "
                f"{i['reused']} reused. Documents: {d['created']} created, {d['reused']} reused."
            )
        if not report_data.ok:
            raise CommandError(f"{len(report_data.errors)} errors: nothing was imported.")

    def show_plan(self, plan, *, as_json):
        self.show_problems(plan.report)
        summary = plan.summary()
        if as_json:
            write_json(self.stdout, summary)
        else:
            p, m = summary["products"], summary["media"]
            self.stdout.write(
                f"Plan, nothing written. Products: {p['create']} to create, {p['update']} to "
                f"update, {p['unpublish']} to unpublish, {p['unchanged']} unchanged. "
                f"Media: {m['new']} new, {m['reuse']} reused."
            )
            for action in summary["actions"]:
                self.stdout.write(f"{action['action']}  {action['sku']}  {action['title']}")
        if not plan.ok:
            raise CommandError(f"{len(plan.report.errors)} errors: the plan cannot be applied.")

    def show_problems(self, report):
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for error in report.errors:
            self.stderr.write(f"error: {error}")


def write_json(stream, data):
    stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def progress_for(stderr):
    """`progress(done, total)` for the import: a bar on a terminal, else plain lines."""
    return BarProgress(stderr) if stderr.isatty() else LineProgress(stderr)


class LineProgress:
    """`products 100/1000` lines, one per tenth of the way at most (logs stay short)."""

    def __init__(self, stderr):
        self.stderr = stderr
        self.shown = 0  # tenths reported so far

    def __call__(self, done, total):
        tenths = 10 * done // max(total, 1)
        if tenths > self.shown or done == total:
            self.shown = tenths
            self.stderr.write(f"products {done}/{total}")

    def close(self):
        pass


class BarProgress:
    """A tqdm bar, written through the command's stderr."""

    def __init__(self, stderr):
        self.stream = RawStream(stderr)
        self.bar = None

    def __call__(self, done, total):
        if self.bar is None:
            self.bar = tqdm(total=total, unit="products", file=self.stream, mininterval=0.2)
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class RawStream:
    """Django's OutputWrapper ends every write with a newline; a bar must not."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")

    def flush(self):
        self.wrapper.flush()
