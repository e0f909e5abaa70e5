import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


@pytest.fixture
def stored_file():
    return default_storage.save("images/served.txt", ContentFile(b"media bytes"))


@pytest.mark.django_db
@pytest.mark.local_media  # MEDIA_ROOT on the local disk: not with S3 storage
def test_media_is_served_by_django_when_debug_is_on(client, settings, reload_urls, stored_file):
    settings.DEBUG = True
    reload_urls()
    response = client.get(f"/media/{stored_file}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"media bytes"


@pytest.mark.django_db
@pytest.mark.local_media  # MEDIA_ROOT on the local disk: not with S3 storage
def test_media_is_not_served_by_django_when_debug_is_off(
    client, settings, reload_urls, stored_file
):
    settings.DEBUG = False
    reload_urls()
    assert client.get(f"/media/{stored_file}").status_code == 404


@pytest.mark.local_media  # MEDIA_ROOT on the local disk: not with S3 storage
def test_tests_never_write_into_the_real_media_root(settings, media_root):
    from cms.settings import base

    assert settings.MEDIA_ROOT == media_root
    assert base.MEDIA_ROOT not in (media_root, *media_root.parents)
    assert default_storage.path("x") == str(media_root / "x")
