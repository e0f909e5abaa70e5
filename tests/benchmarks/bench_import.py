"""Benchmark: importing a generated bundle of 1,000 products (3 images and 1 PDF each).

First import and re-import of the unchanged bundle, in products per second, each in a fresh
process whose peak resident memory is reported; the same for a 250-product bundle, to show
that memory does not grow with the bundle. The imports run with background tasks recorded,
not run (TASKS_BACKEND=dummy), and without the importer's rendition step; then every
rendition of the big bundle's images (the templates' and the admin thumbnail) is made with
`warm_renditions --jobs 2`, as two task workers would, and the report gives the time until
every rendition is ready: import plus renditions. Images are photo-like (texture, grain).

    python tests/benchmarks/bench_import.py [--products 1000]
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.report import machine, write_section  # noqa: E402

CHILD = """
import json, resource, sys, time, django
django.setup()
from products.catalogue.bundle import open_bundle
from products.catalogue.planner import make_plan
from products.catalogue.writer import apply_plan
# What import_bundle does, with the planning timed on its own.
start = time.perf_counter()
bundle = open_bundle(sys.argv[1])
plan = make_plan(bundle)
planned = time.perf_counter() - start
report = apply_plan(plan, bundle, renditions=False) if plan.ok else plan.report
bundle.close()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "plan_seconds": planned, "ok": report.ok,
                  "products": report.products,
                  "errors": [str(e) for e in report.errors[:3]],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

WARM = """
import json, time, django
django.setup()
from wagtail.images import get_image_model
from cms.media.renditions import ahead_of_time_specs
from cms.media.warm import warm_renditions
start = time.perf_counter()
report = warm_renditions(jobs=2)
seconds = time.perf_counter() - start
Rendition = get_image_model().get_rendition_model()
missing = report.images * len(ahead_of_time_specs()) - Rendition.objects.count()
print(json.dumps({"seconds": seconds, "images": report.images, "created": report.created,
                  "missing": missing, "failed": len(report.failed)}))
"""


def make_bundle(folder, products):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    from cms.demo.generate import make_pdf, make_photo

    (folder / "images").mkdir(parents=True)
    (folder / "documents").mkdir()
    items = []
    for n in range(products):
        images = []
        for view in range(3):
            path = f"images/p{n:04d}-{view}.jpg"
            (folder / path).write_bytes(make_photo(f"Product {n} view {view}", 400, 300))
            images.append(path)
        pdf = f"documents/p{n:04d}.pdf"
        (folder / pdf).write_bytes(make_pdf(f"Datasheet {n}", [f"SKU P-{n:04d}"]))
        items.append(
            {
                "sku": f"P-{n:04d}",
                "title": f"Product {n}",
                "category": f"Category {n % 8}",
                "summary": f"Product number {n}.",
                "price": f"{10 + n % 90}.00",
                "tags": ["bench", f"t{n % 5}"],
                "hero_image": {"file": images[0], "alt": f"Product {n}, front"},
                "body": [
                    {"type": "heading", "value": "Details"},
                    {"type": "paragraph", "value": f"<p>Everything about product {n}.</p>"},
                    {
                        "type": "gallery",
                        "value": [
                            {"file": p, "alt": f"Product {n} view {i}"}
                            for i, p in enumerate(images[1:], start=1)
                        ],
                    },
                    {"type": "documents", "value": [pdf]},
                    {"type": "specs", "value": [{"name": "Weight", "value": f"{n % 20} kg"}]},
                ],
            }
        )
    (folder / "catalogue.json").write_text(
        json.dumps({"format": "catalogue/1", "products": items})
    )


def run_child(script, env, *args):
    result = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(products, work):
    bundle = work / f"bundle-{products}"
    make_bundle(bundle, products)
    # Production settings: DEBUG off (no query log growing in memory), MEDIA_ROOT from here.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # production refuses weak keys
        "DATABASE_URL": f"sqlite:///{work / f'db-{products}.sqlite3'}",
        "MEDIA_ROOT": str(work / f"media-{products}"),
        "TASKS_BACKEND": "dummy",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    first = run_child(CHILD, env, str(bundle))
    again = run_child(CHILD, env, str(bundle))
    assert first["ok"] and again["ok"], (first, again)
    assert again["products"]["unchanged"] == products
    return first, again, env


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument(
        "--no-renditions", action="store_true", help="skip making every rendition afterwards"
    )
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="catalogue-bench-import-"))
    try:
        small_first, small_again, _ = measure(args.products // 4, work)
        first, again, env = measure(args.products, work)
        renditions = None if args.no_renditions else run_child(WARM, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = args.products
    rate_first, rate_again = n / first["seconds"], n / again["seconds"]
    lines = [
        "## Catalogue import (`make bench`: tests/benchmarks/bench_import.py)",
        "",
        f"Machine: {machine()}. SQLite, local media. Generated bundle: {n} products, each with "
        "3 photo-like JPEG images (400x300) and 1 PDF, a gallery, documents and specs. "
        f"Load average {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after "
        "(above 1: something else ran meanwhile).",
        "",
        "| run | products | time | of which planning | products/s | peak memory (process) |",
        "|---|---|---|---|---|---|",
        *(
            f"| {label} | {count} | {r['seconds']:.1f} s | {r['plan_seconds']:.1f} s | "
            f"{count / r['seconds']:.1f} | {r['peak_mb']:.0f} MB |"
            for label, count, r in (
                ("first import", n, first),
                ("re-import, unchanged", n, again),
                ("first import", n // 4, small_first),
                ("re-import, unchanged", n // 4, small_again),
            )
        ),
        "",
        f"Re-import is {rate_again / rate_first:.1f}x faster than the first import. Peak memory "
        f"for {n} products is {first['peak_mb'] / small_first['peak_mb']:.2f}x that for "
        f"{n // 4}. Targets (issue #13): first import at least 2x the products/s before the "
        "planner/writer split, re-import of an unchanged bundle at least 1,000 products/s, "
        "peak memory for 1,000 products within 1.2x that for 250 (the first-import ratio is "
        "measured against the old code by bench_import_baseline.py, next section).",
        "",
        renditions_line(n, first, renditions),
        "",
        f"Command: `python tests/benchmarks/bench_import.py --products {n}"
        + (" --no-renditions`" if renditions is None else "`"),
    ]
    write_section("import", "\n".join(lines))
    print("\n".join(lines))


def renditions_line(n, first, renditions):
    if renditions is None:
        return "Renditions were not made in this run (`--no-renditions`)."
    return (
        f"Until every rendition is ready ({n} products): import {first['seconds']:.1f} s, then "
        f"{renditions['created']} renditions for {renditions['images']} images in "
        f"{renditions['seconds']:.1f} s with `warm_renditions --jobs 2` "
        f"({renditions['images'] / renditions['seconds']:.1f} images/s; "
        f"{renditions['missing']} missing, {renditions['failed']} failed): "
        f"**{first['seconds'] + renditions['seconds']:.1f} s** in all, "
        f"{n / (first['seconds'] + renditions['seconds']):.1f} products/s."
    )


if __name__ == "__main__":
    main()
