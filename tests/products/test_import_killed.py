"""An import killed mid-write (kill -9: no rollback handler runs) keeps no rows but leaves the
files it had written; `media_audit --delete` removes exactly those once the grace period is
over, and nothing else."""

import json
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.demo.generate import make_image, make_pdf
from products.models import ProductPage
from tests.factories import DocumentFactory, ImageFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = 60  # the write phase lasts seconds: the kill lands inside it
KILL_AFTER_FILES = 10


def big_bundle(folder):
    """A bundle of PRODUCTS products, each with its own photo-like hero; some with a PDF."""
    products = []
    for n in range(PRODUCTS):
        photo = f"images/photo-{n:03d}.jpg"
        (folder / photo).parent.mkdir(parents=True, exist_ok=True)
        (folder / photo).write_bytes(make_image(f"Product {n}", 640, 480))
        product = {
            "sku": f"KL-{n:04d}",
            "title": f"Killed import product {n}",
            "hero_image": {"file": photo, "alt": f"Product {n}"},
        }
        if n % 10 == 0:
            manual = f"documents/manual-{n:03d}.pdf"
            (folder / manual).parent.mkdir(parents=True, exist_ok=True)
            (folder / manual).write_bytes(make_pdf(f"Manual {n}"))
            product["body"] = [{"type": "documents", "value": [{"file": manual}]}]
        products.append(product)
    (folder / "catalogue.json").write_text(
        json.dumps({"format": "catalogue/1", "products": products})
    )
    return folder


def command_environment():
    """manage.py in another process, on this test's database and media storage."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        database_url = f"sqlite:///{db['NAME']}"
    else:  # the test database of the DATABASE_URL server
        database_url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{db['NAME']}")
        database_url = database_url.geturl()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


def media_audit(*args):
    out = StringIO()
    call_command("media_audit", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_files_of_a_killed_import_are_cleaned_by_media_audit(tmp_path, media):
    kept_image, kept_document = ImageFactory(title="Kept"), DocumentFactory(title="Kept")
    before = set(media.names())
    bundle = big_bundle(tmp_path / "bundle")

    importer = subprocess.Popen(
        [sys.executable, "manage.py", "import_catalogue", str(bundle)],
        cwd=ROOT,
        env=command_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while len(set(media.names()) - before) < KILL_AFTER_FILES:
            assert importer.poll() is None, importer.stdout.read().decode()
            assert time.monotonic() < deadline, "the import wrote no files"
            time.sleep(0.02)
        importer.send_signal(signal.SIGKILL)
    finally:
        importer.kill()
        importer.wait(10)
        importer.stdout.close()
    assert importer.returncode == -signal.SIGKILL

    # No rows were kept; the files written before the kill were.
    assert ProductPage.objects.count() == 0
    # (Kept's preview, made when it was saved, is its document's.)
    assert list(get_image_model().objects.filter(document_preview=False)) == [kept_image]
    assert list(get_document_model().objects.all()) == [kept_document]
    assert not Collection.objects.filter(name="Catalogue imports").exists()
    left = set(media.names()) - before
    assert len(left) >= KILL_AFTER_FILES
    assert all(name.startswith(("original_images/", "documents/")) for name in left)

    # Within the grace period the audit keeps them: an import could still be writing.
    out = media_audit("--delete")
    assert f"0 deleted, {len(left)} kept." in out
    assert set(media.names()) == before | left

    # Once it is over (here: --grace 0, nothing else is running), exactly those go.
    out = media_audit("--delete", "--grace", "0")
    assert f"{len(left)} orphan files, {len(left)} deleted, 0 kept." in out
    assert set(media.names()) == before
    assert media.exists(kept_image.file.name) and media.exists(kept_document.file.name)
