"""Benchmark: a PDF datasheet's preview and text (cms/media/pdf_render.py).

A 40-page, photo-like PDF of about 5 MB (one 1200 x 900 JPEG photo and a few lines of text
on every page, generated in code): the wall time and the CPU time (the child process's, where
PDFium runs, and the task's own) of `render_pdf`, which renders the first page and reads the
text of the first MEDIA_PDF_TEXT_PAGES pages; then the whole preview task as an upload runs
it (`update_preview`: render, store the preview image and the text, make its thumbnails,
queue the indexing). Medians of several runs.

    python tests/benchmarks/bench_documents.py [--runs 5] [--pages 40] [--no-write]

`--no-write` prints the table without writing it into docs/benchmarks.md (for a quick check
with a small `--pages` and `--runs`).
"""

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="catalogue-bench-documents-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="cms.settings.test",
    DATABASE_URL=f"sqlite:///{WORK / 'db.sqlite3'}",
    # The preview's own rendition task is left out: its cost is bench_renditions' subject.
    TASKS_BACKEND="dummy",
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from wagtail.models import Collection  # noqa: E402

from cms.demo.generate import make_pdf_pages, make_photo  # noqa: E402
from cms.media.library import add_document  # noqa: E402
from cms.media.pdf_render import render_pdf  # noqa: E402
from cms.media.previews import update_preview  # noqa: E402
from tests.benchmarks.report import machine, write_section  # noqa: E402

PHOTO_SIZE = (1200, 900)  # at quality 60: about 125 KB a page, 5 MB for 40 pages


def datasheet(pages):
    """A photo-heavy PDF: `pages` pages, each with a photo and some text (about 5 MB at 40)."""
    photos = [make_photo(f"Datasheet photo {n}", *PHOTO_SIZE, quality=60) for n in range(4)]
    # Four distinct photos, each drawn on every fourth page, stored once per page as a real
    # datasheet exported page by page would: the file holds `pages` image streams.
    return make_pdf_pages(
        [
            (f"Model X{n} datasheet", [f"Page {n}: load rating, finish, care.", "Oak, walnut."])
            for n in range(1, pages + 1)
        ],
        photos=photos,
    )


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(function, runs):
    """Median wall, child CPU and own CPU seconds of `function()` over `runs` runs."""
    wall, child, own = [], [], []
    for _ in range(runs):
        started, child_started, own_started = time.perf_counter(), children_cpu(), own_cpu()
        function()
        wall.append(time.perf_counter() - started)
        child.append(children_cpu() - child_started)
        own.append(own_cpu() - own_started)
    return statistics.median(wall), statistics.median(child), statistics.median(own)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    settings.MEDIA_ROOT = WORK / "media"
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 64 * 1024 * 1024
    call_command("migrate", verbosity=0)

    content = datasheet(args.pages)
    rendered = render_pdf(content)
    assert rendered.page_count == args.pages, rendered.page_count
    render = measure(lambda: render_pdf(content), args.runs)

    root = Collection.get_first_root_node()
    documents = []
    for run in range(args.runs):
        # A distinct file each run (a trailing comment): the library would reuse a known one.
        document, _ = add_document(
            content + b"%% run %d\n" % run, f"sheet-{run}.pdf", title="Sheet", collection=root
        )
        documents.append(document)
    queue = iter(documents)
    task = measure(lambda: update_preview(next(queue).pk), args.runs)

    rows = [
        ("render_pdf: first page and text, child process", *render),
        ("update_preview: the whole task (render, store, thumbnails, queue indexing)", *task),
    ]
    table = "\n".join(
        f"| {name} | {wall * 1000:.0f} | {child * 1000:.0f} | {own * 1000:.0f} |"
        for name, wall, child, own in rows
    )
    markdown = f"""
## PDF previews and text (`make bench`: tests/benchmarks/bench_documents.py)

{machine()}; pypdfium2 {__import__("pypdfium2").PYPDFIUM_INFO}. A {args.pages}-page PDF of
{len(content) / 1024 / 1024:.1f} MB (a {PHOTO_SIZE[0]} x {PHOTO_SIZE[1]} JPEG photo and text on
every page); text read from the first {settings.MEDIA_PDF_TEXT_PAGES} pages
({len(rendered.text):,} characters); preview box {settings.MEDIA_PDF_PREVIEW_BOX}. Medians of
{args.runs} runs, milliseconds; CPU of the child process (PDFium) and of the task's own.

| step | wall | child CPU | own CPU |
| --- | --- | --- | --- |
{table}
"""
    print(markdown)
    if not args.no_write:
        write_section("documents", markdown)


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
