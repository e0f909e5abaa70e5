"""Benchmark: a product page with 20 images and 8 documents, and a 24-card listing.

Measures SQL queries and the median time of requests through Django's test client, cold (no
renditions: every request must generate them) and warm (renditions exist; Wagtail's rendition
cache emptied before each request, as on a fresh process), against a baseline measured in the
same run: /robots.txt, a template view through the same middleware (the request pipeline's own
cost). Writes its section of docs/benchmarks.md.

    make bench                      # or:
    python tests/benchmarks/bench_pages.py --repeats 50 --cold-repeats 50
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="catalogue-bench-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="cms.settings.test",
    DATABASE_URL=f"sqlite:///{WORK / 'db.sqlite3'}",
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from wagtail.images import get_image_model  # noqa: E402
from wagtail.models import Collection  # noqa: E402

from cms.demo.generate import make_image, make_pdf  # noqa: E402
from cms.media.library import add_document, add_image  # noqa: E402
from home.models import HomePage  # noqa: E402
from products.models import (  # noqa: E402
    ProductCategory,
    ProductIndexPage,
    ProductPage,
    ProductRelatedProduct,
)
from tests.benchmarks.report import machine, median_ms, write_section  # noqa: E402

IMAGE_SIZE = (1600, 1067)


def build_site():
    settings.MEDIA_ROOT = WORK / "media"
    call_command("migrate", verbosity=0)
    root = Collection.get_first_root_node()
    home = HomePage.objects.get()
    index = ProductIndexPage(title="Products", slug="products")
    home.add_child(instance=index)
    category = ProductCategory.objects.create(name="Chairs", slug="chairs")

    def image(label):
        content = make_image(label, *IMAGE_SIZE, "jpeg")
        return add_image(content, "photo.jpg", title=label, description=label, collection=root)[0]

    def product(n, body=()):
        page = ProductPage(
            title=f"Product {n}",
            slug=f"product-{n}",
            sku=f"SKU-{n}",
            summary="A sturdy product.",
            price="99.00",
            category=category,
            hero_image=image(f"Product {n}"),
            body=list(body),
        )
        index.add_child(instance=page)
        return page

    for n in range(24):
        product(n)
    gallery = [image(f"Gallery {i}") for i in range(18)]
    documents = [
        add_document(
            make_pdf(f"Manual {i}"), f"manual-{i}.pdf", title=f"Manual {i}", collection=root
        )[0]
        for i in range(8)
    ]
    detail = image("Detail")
    big = product(
        "big",
        [
            {
                "type": "image",
                "value": {
                    "image": {"image": detail.pk, "alt_text": "Detail", "decorative": False},
                    "caption": "",
                },
            },
            {
                "type": "gallery",
                "value": [
                    {"image": i.pk, "alt_text": i.title, "decorative": False} for i in gallery
                ],
            },
            {"type": "documents", "value": [{"document": d.pk, "title": ""} for d in documents]},
            {"type": "specs", "value": [{"name": "Height", "value": "92 cm"}]},
        ],
    )
    # 20 images on the page: hero, detail, 18 in the gallery (related cards come on top).
    for other in ProductPage.objects.exclude(pk=big.pk)[:3]:
        big.related_products.add(ProductRelatedProduct(product=other))
    big.save()
    return big.url, index.url


def drop_renditions():
    get_image_model().get_rendition_model().objects.all().delete()
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "images", ignore_errors=True)
    caches["renditions"].clear()


def measure(client, url, repeats, cold):
    times, queries = [], set()
    for _ in range(repeats):
        if cold:
            drop_renditions()
        else:
            caches["renditions"].clear()
        connection.queries_log.clear()  # the log holds 9000 queries; counts need room
        with CaptureQueriesContext(connection) as context:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        times.append(elapsed)
        queries.add(len(context.captured_queries))
    return median_ms(times), queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--cold-repeats", type=int, default=50)
    args = parser.parse_args()

    product_url, listing_url = build_site()
    client = Client()
    client.get(product_url)
    client.get(listing_url)  # create renditions and fill Django's caches

    baseline, _ = measure(client, "/robots.txt", args.repeats, cold=False)
    pages = (
        ("Product page, 20 images + 8 documents", product_url),
        ("Listing, 24 cards", listing_url),
    )
    # Every warm run first: a cold run deletes the renditions of every page.
    warm = {url: measure(client, url, args.repeats, cold=False) for _, url in pages}
    cold = {url: measure(client, url, args.cold_repeats, cold=True) for _, url in pages}
    rows = [(label, *warm[url], *cold[url]) for label, url in pages]
    for row in rows:
        print("{}: warm {:.1f} ms {} queries, cold {:.0f} ms {} queries".format(*row))

    lines = [
        "## Page rendering (`make bench`: tests/benchmarks/bench_pages.py)",
        "",
        f"Machine: {machine()}. SQLite, local media, Django test client, "
        f"{IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} JPEG originals.",
        f"Median of {args.repeats} warm and {args.cold_repeats} cold requests. Warm: renditions "
        "exist (Wagtail's rendition cache emptied before each request). Cold: no renditions, "
        "every request generates them. Baseline: `/robots.txt` through the same middleware, "
        f"median {baseline:.2f} ms.",
        "",
        "| page | SQL queries warm | median warm | warm / baseline | SQL queries cold "
        "| median cold | cold / warm |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, warm, warm_q, cold, cold_q in rows:
        lines.append(
            f"| {label} | {', '.join(map(str, sorted(warm_q)))} | {warm:.1f} ms | "
            f"{warm / baseline:.1f}x | {', '.join(map(str, sorted(cold_q)))} | {cold:.0f} ms | "
            f"{cold / warm:.0f}x |"
        )
    lines += [
        "",
        f"Command: `python tests/benchmarks/bench_pages.py --repeats {args.repeats} "
        f"--cold-repeats {args.cold_repeats}`",
    ]
    write_section("pages", "\n".join(lines))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
