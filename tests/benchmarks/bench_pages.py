"""Benchmark: product pages with 1 and with 20 images (and 8 documents), the home page and a
24-card listing.

Measures SQL queries and the median time of requests through Django's test client, three ways:
warm (renditions exist, caches filled by earlier requests: a running site), cache emptied
(renditions exist, the `renditions` cache, which also holds the rendered pictures, emptied
before each request: a fresh process or a flushed Redis) and cold (no renditions: every request
must generate them), against a baseline measured in the same run: /robots.txt, a template view
through the same middleware (the request pipeline's own cost). Writes its section of
docs/benchmarks.md (not with --print-only).

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
from home.models import HomePage, HomePageFeaturedProduct  # noqa: E402
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
    # The product with 1 image: its hero, no body images (related cards come on top).
    small = product("small", [{"type": "specs", "value": [{"name": "Height", "value": "92 cm"}]}])
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
    others = list(ProductPage.objects.exclude(pk__in=[big.pk, small.pk]).order_by("pk"))
    for page in (big, small):
        for other in others[:3]:
            page.related_products.add(ProductRelatedProduct(product=other))
        page.save()
    home.hero_image = image("Home")
    for other in others[:6]:
        home.featured_products.add(HomePageFeaturedProduct(product=other))
    home.save()
    return {
        "product_1": small.url,
        "product_20": big.url,
        "home": home.url,
        "listing": index.url,
    }


def drop_renditions():
    get_image_model().get_rendition_model().objects.all().delete()
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "images", ignore_errors=True)
    caches["renditions"].clear()


def measure(client, urls, repeats, mode="warm"):
    """Median time and query counts per URL. The URLs take turns, request by request, so a
    machine that slows down or speeds up during the run (shared, noisy) shifts every page
    alike and leaves their ratios alone."""
    times = {url: [] for url in urls}
    queries = {url: set() for url in urls}
    for _ in range(repeats):
        for url in urls:
            if mode == "cold":
                drop_renditions()
            elif mode == "emptied":
                caches["renditions"].clear()
            connection.queries_log.clear()  # the log holds 9000 queries; counts need room
            with CaptureQueriesContext(connection) as context:
                start = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - start
            assert response.status_code == 200, (url, response.status_code)
            times[url].append(elapsed)
            queries[url].add(len(context.captured_queries))
    return {url: (median_ms(times[url]), queries[url]) for url in urls}


PAGES = (
    ("product_1", "Product page, 1 image"),
    ("product_20", "Product page, 20 images + 8 documents"),
    ("home", "Home, hero + 6 featured products"),
    ("listing", "Listing, 24 cards"),
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--cold-repeats", type=int, default=50)
    parser.add_argument(
        "--print-only", action="store_true", help="print the results, leave the docs alone"
    )
    args = parser.parse_args()

    urls = build_site()
    client = Client()
    for url in urls.values():
        client.get(url)  # create renditions and fill Django's caches

    # Every warm run first: a cold run deletes the renditions of every page. The baseline
    # takes its turns with the warm pages.
    pages = [urls[key] for key, _ in PAGES]
    warm_by_url = measure(client, ["/robots.txt", *pages], args.repeats)
    baseline = warm_by_url["/robots.txt"][0]
    warm = {key: warm_by_url[urls[key]] for key, _ in PAGES}
    emptied_by_url = measure(client, pages, args.repeats, "emptied")
    emptied = {key: emptied_by_url[urls[key]] for key, _ in PAGES}
    cold_by_url = measure(client, pages, args.cold_repeats, "cold")
    cold = {key: cold_by_url[urls[key]] for key, _ in PAGES}

    def queries(counts):
        return ", ".join(map(str, sorted(counts)))

    print(f"/robots.txt: {baseline:.2f} ms")
    for key, label in PAGES:
        print(
            f"{label}: warm {warm[key][0]:.1f} ms ({warm[key][0] / baseline:.1f}x robots) "
            f"{queries(warm[key][1])} queries, cache emptied {emptied[key][0]:.1f} ms "
            f"{queries(emptied[key][1])} queries, cold {cold[key][0]:.0f} ms "
            f"{queries(cold[key][1])} queries"
        )
    ratio_warm = warm["product_20"][0] / warm["product_1"][0]
    ratio_emptied = emptied["product_20"][0] / emptied["product_1"][0]
    print(f"20 images / 1 image: warm {ratio_warm:.2f}x, cache emptied {ratio_emptied:.2f}x")
    if args.print_only:
        shutil.rmtree(WORK, ignore_errors=True)
        return

    lines = [
        "## Page rendering (`make bench`: tests/benchmarks/bench_pages.py)",
        "",
        f"Machine: {machine()}. SQLite, local media, Django test client, "
        f"{IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} JPEG originals.",
        f"Median of {args.repeats} warm, {args.repeats} cache-emptied and {args.cold_repeats} "
        "cold requests per page, the pages taking turns request by request. Warm: "
        "renditions exist, caches filled by earlier requests. Cache "
        "emptied: renditions exist, the `renditions` cache (Wagtail's renditions and the "
        "rendered pictures) emptied before each request. Cold: no renditions, every request "
        "generates them. Baseline: `/robots.txt` through the same middleware, median "
        f"{baseline:.2f} ms.",
        "",
        "| page | SQL queries warm | median warm | warm / baseline | median cache emptied "
        "| cache emptied / baseline | SQL queries cold | median cold |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in PAGES:
        lines.append(
            f"| {label} | {queries(warm[key][1])} | {warm[key][0]:.1f} ms | "
            f"{warm[key][0] / baseline:.1f}x | {emptied[key][0]:.1f} ms | "
            f"{emptied[key][0] / baseline:.1f}x | {queries(cold[key][1])} | "
            f"{cold[key][0]:.0f} ms |"
        )
    lines += [
        "",
        f"Product page with 20 images / with 1 image: warm {ratio_warm:.2f}x, cache emptied "
        f"{ratio_emptied:.2f}x. Target (issue #12): warm at most 1.5x.",
        "",
        f"Command: `python tests/benchmarks/bench_pages.py --repeats {args.repeats} "
        f"--cold-repeats {args.cold_repeats}`",
    ]
    write_section("pages", "\n".join(lines))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
