"""Two nodes, one site: gunicorn A and B share PostgreSQL, Redis and S3 behind nginx.

Run by `make test-scale` (tests/scale/services.py provides the S3 gateway). Media imported or
uploaded through one node is served and rendered through the other; publishing on one purges
nginx's page cache; takedowns reach every cached copy; only the shared secret refreshes and
only a real login skips the cache; large bodies reach only the import; cached pages outlive the
app servers.
"""

import re
import subprocess
import sys
import time

import psycopg
import pytest
import requests

from cms.cache_headers import bypass_cookie_value
from cms.demo.generate import make_image, make_pdf
from tests.products.catalogue_helpers import manifest, write_bundle, zip_folder
from tests.scale.nodes import ADMIN_DSN, ADMIN_PASSWORD, ROOT, two_nodes

PRODUCT = "/products/oak-dining-chair/"


@pytest.fixture(scope="module")
def nodes():
    with two_nodes() as started:
        yield started


@pytest.fixture(scope="module")
def token(nodes):
    return nodes.manage("api_tokens", "create", "--user", "admin", "--name", "it").stdout.strip()


def import_through(node, token, tmp_path, **changes):
    folder = write_bundle(tmp_path / "bundle", manifest(**changes))
    archive = zip_folder(folder, tmp_path / "bundle.zip")
    with archive.open("rb") as f:
        response = requests.post(
            node + "/api/catalogue/import/",
            headers={"Authorization": f"Bearer {token}"},
            files={"bundle": ("bundle.zip", f, "application/zip")},
            timeout=120,
        )
    assert response.status_code == 200, response.text
    return response.json()


def media_urls(html):
    urls = set(re.findall(r'(?:src|href)="(http[^"]+/media/images/[^"]+)"', html))
    for srcset in re.findall(r'srcset="([^"]+)"', html):
        urls.update(part.split()[0] for part in srcset.split(","))
    return urls


def test_imported_through_one_node_is_served_by_the_other(nodes, token, tmp_path):
    a, b = nodes.app
    import_through(a, token, tmp_path)

    page = requests.get(b + PRODUCT, timeout=30)
    assert page.status_code == 200 and "Oak dining chair" in page.text
    urls = media_urls(page.text)
    assert len(urls) > 10 and all(u.startswith(nodes.nginx + "/media/images/") for u in urls)
    for url in urls:  # renditions, from S3 through nginx
        response = requests.get(url, timeout=30)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("image/")
    document = re.search(r'href="(/documents/[^"]+)"', page.text).group(1)
    pdf = requests.get(b + document, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # Originals and documents are not reachable past Wagtail.
    assert (
        requests.get(nodes.nginx + "/media/original_images/x.jpg", timeout=30).status_code == 404
    )


def eventually(check, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def log_in(node):
    session = requests.Session()
    session.get(node + "/admin/login/", timeout=30)
    response = session.post(
        node + "/admin/login/",
        data={
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=30,
    )
    assert response.url.rstrip("/").endswith("/admin"), response.url
    return session


def test_uploaded_through_one_admin_is_rendered_by_the_other(nodes):
    a, b = nodes.app
    session = log_in(a)
    form = session.get(a + "/admin/images/add/", timeout=30).text
    collection = re.search(r'name="collection"[^>]*>\s*<option value="(\d+)"', form).group(1)
    response = session.post(
        a + "/admin/images/add/",
        data={
            "title": "Uploaded on A",
            "description": "A test card",
            "collection": collection,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        files={"file": ("card.jpg", make_image("Card", 640, 480), "image/jpeg")},
        timeout=60,
    )
    assert response.status_code == 200 and response.url.endswith("/admin/images/")

    listing = session.get(b + "/admin/images/?q=Uploaded", timeout=30).text  # same session
    assert "Uploaded on A" in listing
    thumbnail = re.search(r'<img[^>]+src="([^"]+)"[^>]*alt="Uploaded on A"', listing)
    thumbnail = thumbnail or re.search(r'src="(http[^"]+/media/images/card[^"]+)"', listing)
    response = requests.get(thumbnail.group(1), timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/")


def test_publishing_on_one_node_purges_the_edge_cache(nodes, token, tmp_path):
    a, _ = nodes.app
    for path in (PRODUCT, "/products/"):
        requests.get(nodes.nginx + path, timeout=30)
        cached = requests.get(nodes.nginx + path, timeout=30)
        assert cached.headers["X-Cache-Status"] == "HIT", path
        assert "public" in cached.headers["Cache-Control"]

    import_through(a, token, tmp_path, title="Oak dining chair, oiled")

    # The worker sends the purge once the import has committed: a moment, not s-maxage.
    for path in (PRODUCT, "/products/"):
        assert eventually(
            lambda p=path: "chair, oiled" in requests.get(nodes.nginx + p, timeout=30).text
        )
    # Admin pages never come from the cache.
    admin = requests.get(nodes.nginx + "/admin/login/", timeout=30)
    assert admin.headers.get("X-Cache-Status") != "HIT"
    assert "private" in admin.headers["Cache-Control"]


ADD_PRODUCT = """
from products.models import ProductIndexPage
from tests.factories import ProductPageFactory
ProductPageFactory(parent=ProductIndexPage.objects.get(), title="{title}", sku="{sku}")
"""


def add_product(nodes, title, sku):
    nodes.manage("shell", "-c", ADD_PRODUCT.format(title=title, sku=sku))


def seen_append(seen, response):
    """`response`, noted in `seen` (status, cache status, start of the body) for the message
    of an assertion that waited for it."""
    seen.append(
        (response.status_code, response.headers.get("X-Cache-Status"), response.text[:300])
    )
    return response


def fetch_twice(url, **kwargs):
    """The second answer, once the first has filled the cache."""
    requests.get(url, timeout=30, **kwargs)
    return requests.get(url, timeout=30, **kwargs)


def test_a_takedown_reaches_every_query_string(nodes):
    add_product(nodes, "Takedown lamp", "TD-1")
    url = nodes.nginx + "/products/takedown-lamp/?utm_source=x"
    cached = fetch_twice(url)
    assert cached.status_code == 200 and cached.headers["X-Cache-Status"] == "HIT"
    # A parameter nginx keeps (the listing reads it): the product page redirects it, and
    # nginx keeps the redirect, not a second copy of the page.
    paged = nodes.nginx + "/products/takedown-lamp/?page=1"
    redirect = fetch_twice(paged, allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["X-Cache-Status"] == "HIT"
    assert redirect.headers["Location"] == "/products/takedown-lamp/"
    assert requests.get(paged, timeout=30).status_code == 200

    nodes.manage(
        "shell",
        "-c",
        "from products.models import ProductPage; "
        "ProductPage.objects.get(slug='takedown-lamp').unpublish()",
    )
    # Wagtail refreshes /products/takedown-lamp/; ?utm_source=x is the same cached copy, and
    # ?page=1 leads there.
    assert eventually(lambda: requests.get(url, timeout=30).status_code == 404)
    taken_down = requests.get(paged, timeout=30)
    assert taken_down.status_code == 404 and "Takedown lamp" not in taken_down.text


REFRESH = """
from wagtail.contrib.frontend_cache.utils import get_backends
from cms.frontend_cache import CacheRefreshFailed
try:
    get_backends()["nginx"].purge("{url}")
    print("refreshed")
except CacheRefreshFailed as failure:
    print("not refreshed:", failure)
"""


def refresh_from_an_app_server(nodes, url, secret):
    """What an app server's refresh backend does, with the secret it was configured with."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", REFRESH.format(url=url)],
        cwd=ROOT,
        env={**nodes.env, "FRONTEND_CACHE_SECRET": secret},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout + result.stderr


def test_only_the_shared_secret_refreshes_a_page(nodes):
    add_product(nodes, "Refresh lamp", "RF-1")
    url = nodes.nginx + "/products/refresh-lamp/"
    assert fetch_twice(url).headers["X-Cache-Status"] == "HIT"
    # A change nothing refreshes (no signal): nginx keeps its copy.
    nodes.manage(
        "shell",
        "-c",
        "from products.models import ProductPage; "
        "ProductPage.objects.filter(slug='refresh-lamp').update(title='Refresh lamp, renamed')",
    )
    # Coming from loopback is no credential any more; nor is the secret in another case.
    secret = nodes.env["FRONTEND_CACHE_SECRET"]
    assert secret.swapcase() != secret
    for header in ("1", secret.swapcase(), secret.upper(), secret.lower()):
        if header == secret:
            continue
        old_style = requests.get(url, headers={"X-Cache-Refresh": header}, timeout=30)
        assert old_style.headers["X-Cache-Status"] == "HIT", header
        assert "renamed" not in old_style.text, header

    report = refresh_from_an_app_server(nodes, url, "w" * 43)
    assert "not refreshed:" in report and "X-Cache-Status HIT, not BYPASS" in report
    assert "renamed" not in requests.get(url, timeout=30).text

    report = refresh_from_an_app_server(nodes, url, nodes.env["FRONTEND_CACHE_SECRET"])
    assert "refreshed" in report and "not refreshed" not in report
    fresh = requests.get(url, timeout=30)
    assert fresh.headers["X-Cache-Status"] == "HIT" and "Refresh lamp, renamed" in fresh.text


ADD_DOCUMENT = """
from tests.factories import DocumentFactory
print(DocumentFactory(title="Dealer price list").url)
"""
MAKE_PRIVATE = """
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction
dealers = Collection.get_first_root_node().add_child(name="Dealers only")
CollectionViewRestriction.objects.create(collection=dealers, restriction_type="login")
document = get_document_model().objects.get(title="Dealer price list")
document.collection = dealers
document.save()
"""


def test_a_document_moved_to_a_private_collection_leaves_the_cache(nodes):
    url = nodes.nginx + nodes.manage("shell", "-c", ADD_DOCUMENT).stdout.split()[-1]
    cached = fetch_twice(url)
    assert cached.headers["X-Cache-Status"] == "HIT" and cached.content.startswith(b"%PDF-")

    nodes.manage("shell", "-c", MAKE_PRIVATE)

    def private():
        response = requests.get(url, allow_redirects=False, timeout=30)
        return response.status_code == 302 and "/_util/login/" in response.headers["Location"]

    assert eventually(private)
    assert not requests.get(url, timeout=30).content.startswith(b"%PDF-")


HERO_IMAGE = """
from products.models import ProductPage
image = ProductPage.objects.get(url_path__endswith="/oak-dining-chair/").hero_image
print(image.pk, image.collection_id, image.file.name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
"""

END_GRACE_PERIOD = """
from datetime import timedelta
from django.utils import timezone
from cms.media.models import RetiredFile
RetiredFile.objects.update(retired_at=timezone.now() - timedelta(days=2))
"""


def test_a_replaced_image_keeps_cached_pages_whole(nodes, token, tmp_path):
    """An image replaced through the admin: the page nginx holds keeps loading every image
    it names; the refreshed page shows the new renditions; after the grace period
    (media_audit) the old files are gone."""
    a, _ = nodes.app
    import_through(a, token, tmp_path)
    cached = fetch_twice(nodes.nginx + PRODUCT)
    assert cached.headers["X-Cache-Status"] == "HIT"
    old = media_urls(cached.text)
    printed = nodes.manage("shell", "-c", HERO_IMAGE).stdout.strip().splitlines()[-1]
    image_id, collection, stem = printed.split()
    hero = {url for url in old if f"/media/images/{stem}." in url}
    assert len(hero) > 5, (stem, old)

    session = log_in(a)
    session.get(f"{a}/admin/images/{image_id}/", timeout=30)
    response = session.post(
        f"{a}/admin/images/{image_id}/",
        data={
            "title": "Oak dining chair, new photo",
            "description": "Oak dining chair",
            "collection": collection,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        files={"file": ("chair-new.jpg", make_image("New chair", 1200, 900), "image/jpeg")},
        timeout=60,
    )
    assert response.status_code == 200 and response.url.endswith("/admin/images/"), response.url

    # Whichever copy nginx serves meanwhile, every image the cached page names loads.
    assert all(requests.get(url, timeout=30).status_code == 200 for url in old)

    # Once the worker has made the new renditions, the page is refreshed and shows them.
    def refreshed():
        return not media_urls(requests.get(nodes.nginx + PRODUCT, timeout=30).text) & hero

    assert eventually(refreshed, 60)
    new = media_urls(requests.get(nodes.nginx + PRODUCT, timeout=30).text)
    assert any("/media/images/chair-new" in url for url in new)
    assert all(requests.get(url, timeout=30).status_code == 200 for url in new | old)

    nodes.manage("shell", "-c", END_GRACE_PERIOD)
    report = nodes.manage("media_audit", "--delete").stdout
    names = {url.split("/media/", 1)[1] for url in hero}
    assert all(f"deleted (replaced, grace period over): {name}" in report for name in names)
    # Gone from the bucket (nginx may keep its own copies of rendition files: they never change).
    bucket = f"{nodes.env['S3_ENDPOINT_URL']}/{nodes.env['S3_RENDITIONS_BUCKET']}/"
    assert [n for n in names if requests.get(bucket + n, timeout=30).status_code == 200] == []
    assert all(requests.get(bucket + url.split("/media/", 1)[1], timeout=30).ok for url in new)


ADD_DATASHEET = """
from tests.factories import DocumentFactory
document = DocumentFactory(title="Chair datasheet")
print(document.pk, document.collection_id, document.url)
"""


def test_a_replaced_document_keeps_its_address(nodes):
    """A datasheet replaced through the admin while its address is asked for: the address
    always answers, first with the cached file, then with a redirect to the new one."""
    a, _ = nodes.app
    printed = nodes.manage("shell", "-c", ADD_DATASHEET).stdout.strip().splitlines()[-1]
    document_id, collection, path = printed.split()
    cached = fetch_twice(nodes.nginx + path)
    assert cached.headers["X-Cache-Status"] == "HIT" and cached.content.startswith(b"%PDF-")

    new_file = make_pdf("Chair datasheet, second edition")
    session = log_in(a)
    session.get(f"{a}/admin/documents/edit/{document_id}/", timeout=30)
    response = session.post(
        f"{a}/admin/documents/edit/{document_id}/",
        data={
            "title": "Chair datasheet",
            "collection": collection,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        files={"file": ("chair-v2.pdf", new_file, "application/pdf")},
        timeout=60,
    )
    assert response.status_code == 200 and response.url.endswith("/admin/documents/")

    def answered():
        response = requests.get(nodes.nginx + path, allow_redirects=False, timeout=30)
        assert response.status_code in (200, 302), response.status_code
        assert response.status_code == 302 or response.content.startswith(b"%PDF-")
        return response.status_code == 302

    assert eventually(answered)
    moved = requests.get(nodes.nginx + path, timeout=30)
    assert moved.content == new_file and "chair-v2" in moved.url


def test_only_a_real_login_skips_the_cache(nodes):
    page = nodes.nginx + PRODUCT
    fetch_twice(page)
    secret = nodes.env["FRONTEND_CACHE_SECRET"]
    forged = "A" * 22 + f".{int(time.time()) + 3600}"
    expired = bypass_cookie_value(int(time.time()) - 60, secret)
    for cookies in (
        {"sessionid": "x"},
        {"edge_cache_bypass": forged},
        {"edge_cache_bypass": expired},
        {"sessionid": "x", "edge_cache_bypass": forged},
    ):
        response = requests.get(page, cookies=cookies, timeout=30)
        assert response.headers["X-Cache-Status"] == "HIT", cookies

    editor = log_in(nodes.nginx)
    assert "edge_cache_bypass" in editor.cookies
    # Short-lived: nginx cannot know when the session ends, so a copy of the cookie taken
    # now skips the cache until this expiry, not for the session's two idle hours.
    expires = int(editor.cookies["edge_cache_bypass"].split(".")[1])
    assert expires - time.time() <= 600
    response = editor.get(page, timeout=30)
    assert response.headers["X-Cache-Status"] == "BYPASS"
    assert "wagtail-userbar" in response.text and "private" in response.headers["Cache-Control"]
    # What the editor saw was not kept for visitors.
    assert "wagtail-userbar" not in requests.get(page, timeout=30).text

    editor.post(
        nodes.nginx + "/admin/logout/",
        data={"csrfmiddlewaretoken": editor.cookies["csrftoken"]},
        timeout=30,
    )
    assert "edge_cache_bypass" not in editor.cookies
    assert editor.get(page, timeout=30).headers["X-Cache-Status"] == "HIT"


# A picture of its own each run: Redis (the nodes' rendition cache) outlives the S3 gateway,
# and a rendition cached for the same image id and file hash would name a file that is gone.
ADD_IMAGE = """
import secrets
from django.core.files.base import ContentFile
from wagtail.images import get_image_model
from cms.demo.generate import make_image, make_pdf
picture = make_image(secrets.token_hex(8), 640, 480)
image = get_image_model()(title="Query", file=ContentFile(picture, "query.jpg"))
image.save()
print(*(image.get_rendition(f"format-webp|width-{width}").url for width in (160, 320)))
"""


def test_renditions_reach_s3_without_the_query_string(nodes):
    """nginx keys renditions on the path alone, so S3 must get the path alone: a query string
    would fetch another answer (an S3 error, or the object with a content type of the
    visitor's choosing) and keep it for everyone."""
    first, second = nodes.manage("shell", "-c", ADD_IMAGE).stdout.split()[-2:]
    assert first.startswith(nodes.nginx + "/media/images/")
    for url, query in (
        (first, "versionId=bogus&X-Amz-Credential=x&X-Amz-Signature=0"),
        (second, "response-content-type=text/html&response-content-disposition=attachment"),
    ):
        response = requests.get(f"{url}?{query}", timeout=30)  # the first request: to S3
        assert response.status_code == 200, (query, response.text[:300])
        assert response.headers["X-Cache-Status"] == "MISS"
        assert response.headers["Content-Type"] == "image/webp", query
        assert "Content-Disposition" not in response.headers
        assert response.content.startswith(b"RIFF")
        kept = requests.get(url, timeout=30)
        assert kept.headers["X-Cache-Status"] == "HIT"
        assert kept.headers["Content-Type"] == "image/webp"


def test_large_bodies_reach_only_the_import_endpoint(nodes, token):
    body = b"0" * (20 * 1024 * 1024)
    for path in ("/search/", PRODUCT, "/admin/login/", "/admin/images/multiple/add/"):
        response = requests.post(nodes.nginx + path, data=body, timeout=60)
        assert response.status_code == 413, path
        assert "X-Cache-Status" not in response.headers  # nginx's own answer

    def import_bundle(authorization):
        return requests.post(
            nodes.nginx + "/api/catalogue/import/",
            headers={"Authorization": authorization},
            files={"bundle": ("bundle.zip", body, "application/zip")},
            timeout=120,
        )

    # Django's JSON answers, not nginx's 413: the bundle is no zip, the token no token.
    response = import_bundle(f"Bearer {token}")
    assert response.status_code == 400, response.text[:300]
    assert response.headers["Content-Type"] == "application/json"
    # Refused before the body is read, by the import API (no token) and by the admin's
    # catalogue import form (Django refuses a POST without its CSRF token), several times: a
    # body left unread used to reset the connection: nginx answered 502 now and then (most
    # of the time on a busy machine) and took that app server out of its rotation.
    for _ in range(4):
        refused = import_bundle("Bearer not-a-token")
        assert refused.status_code == 401, refused.status_code
        assert refused.json()["errors"][0]["where"] == "Authorization"
        response = requests.post(
            nodes.nginx + "/admin/catalogue-import/", data=body, timeout=60, allow_redirects=False
        )
        assert response.status_code == 403 and "CSRF" in response.text, response.status_code
    # Both app servers still answer through nginx (an uncached page, from each in turn).
    for _ in range(4):
        assert requests.get(nodes.nginx + "/admin/login/", timeout=30).status_code == 200


def test_a_database_restart_costs_requests_not_the_app_servers(nodes):
    """Every connection to the site's database is cut, as a PostgreSQL restart does."""
    a, b = nodes.app
    for node in (a, b):
        assert requests.get(node + "/products/", timeout=30).status_code == 200
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        cut = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [nodes.database],
        ).fetchone()[0]
    assert cut > 0
    statuses = [
        requests.get(node + f"/products/?try={n}", timeout=30).status_code
        for n in range(10)
        for node in (a, b)
    ]
    # Health checks replace a dead persistent connection before a request uses it.
    assert statuses[-10:] == [200] * 10, statuses
    assert nodes.processes["a"].poll() is None and nodes.processes["b"].poll() is None


EXPIRING_PRODUCT = """
from home.models import HomePage
from products.models import ProductIndexPage
from tests.factories import ImageFactory, ProductIndexPageFactory, ProductPageFactory
from tests.factories import gallery_block
index = ProductIndexPage.objects.first() or ProductIndexPageFactory(parent=HomePage.objects.get())
hero, lasting = ImageFactory(title="Expiring hero"), ImageFactory(title="Lasting photo")
page = ProductPageFactory(
    parent=index, title="Expiring lamp", sku="EX-1", hero_image=hero,
    body=[gallery_block([lasting])],
)
page.save_revision().publish()
print(hero.pk, page.url)
"""

EXPIRE_YESTERDAY = """
import datetime
from wagtail.images import get_image_model
from cms import clock
yesterday = clock.today() - datetime.timedelta(days=1)
get_image_model().objects.filter(pk={pk}).update(expires=yesterday)
"""


def test_a_cached_page_stops_showing_an_image_once_the_expiry_job_ran(nodes):
    """Pages stop showing an image past its last day at their next render; the copy nginx
    holds, rendered before, goes when `expire_images` has run (its refresh, by the worker)."""
    image_id, path = nodes.manage("shell", "-c", EXPIRING_PRODUCT).stdout.split()[-2:]
    url = nodes.nginx + path
    hero_alt, lasting_alt = 'alt="Alt text for Expiring hero"', 'alt="Alt text for Lasting photo"'
    seen = []
    assert eventually(lambda: hero_alt in seen_append(seen, fetch_twice(url)).text, 30), seen[-1:]
    assert requests.get(url, timeout=30).headers["X-Cache-Status"] == "HIT"

    # The last day passed (the date is set as time would have set it: no signal, no refresh).
    nodes.manage("shell", "-c", EXPIRE_YESTERDAY.format(pk=image_id))
    stale = requests.get(url, timeout=30)
    assert stale.headers["X-Cache-Status"] == "HIT" and hero_alt in stale.text

    out = nodes.manage("expire_images").stdout
    assert f"expired: image {image_id} “Expiring hero”" in out and "1 live page(s)" in out

    def refreshed():
        response = requests.get(url, timeout=30)
        return response.headers["X-Cache-Status"] == "HIT" and hero_alt not in response.text

    assert eventually(refreshed, 60)
    page = requests.get(url, timeout=30).text
    assert lasting_alt in page.split('class="product__header"')[1].split("</header>")[0]
    assert f"image {image_id}" not in nodes.manage("expire_images").stdout  # handled once


# Last in the module: it stops both app servers, which the tests before it share (xdist hands
# a worker its tests in file order).
def test_cached_pages_outlive_the_app_servers(nodes):
    requests.get(nodes.nginx + PRODUCT, timeout=30)
    nodes.stop("a")
    nodes.stop("b")
    response = requests.get(nodes.nginx + PRODUCT, timeout=30)
    assert response.status_code == 200 and "Oak dining chair" in response.text
    assert response.headers["X-Cache-Status"] in ("HIT", "STALE")
