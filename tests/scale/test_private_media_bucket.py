"""S3 (the scale run): originals and documents live in a private bucket whose URLs are never
signed, so no URL the site could hand out opens them; editors still reach them through Wagtail.

The read-only API's own tests (tests/cms/test_api_media.py) run here too, on these buckets."""

import re

import pytest
import requests
from django.conf import settings

from cms.media.renditions import API_CARD
from tests.factories import DocumentFactory, ImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bucket_url():
    assert settings.S3_BUCKET, "S3 only: run through `python -m tests.scale.services`"
    options = settings.STORAGES["default"]["OPTIONS"]
    return f"{options['endpoint_url']}/{options['bucket_name']}/"


def test_original_and_document_urls_are_unsigned_and_refused(bucket_url):
    image, document = ImageFactory(), DocumentFactory()
    for file in (image.file, document.file):
        url = file.url
        assert requests.get(url, timeout=30).status_code == 403, f"{url} opens without keys"
        assert url == bucket_url + file.name
        assert "X-Amz-" not in url and "Signature=" not in url
    # Renditions, in their own public bucket, stay readable by anyone.
    rendition = image.get_rendition(API_CARD)
    assert requests.get(rendition.url, timeout=30).status_code == 200


def test_editors_still_open_originals_and_documents(admin_client, bucket_url):
    image, document = ImageFactory(), DocumentFactory()
    # The image editor links the "original" as a rendition in the public renditions bucket
    # (upright, without metadata), not the private file.
    edit = admin_client.get(f"/admin/images/{image.pk}/").content.decode()
    original = re.search(r'<a href="([^"]+\.original\.[^"]+)">', edit)
    assert original, "no link to the original in the image editor"
    assert not original.group(1).startswith(bucket_url)
    assert requests.get(original.group(1), timeout=30).status_code == 200
    # Documents come through Wagtail's serve view, which reads the bucket with the app's keys.
    served = admin_client.get(document.url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"%PDF-")
