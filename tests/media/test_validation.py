"""The upload checks themselves, case by case (the upload paths are tested separately)."""

import io
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.demo.generate import make_pdf
from cms.media.validation import clean_filename, validate_document, validate_image
from tests.media.corpus import (
    HOSTILE_NAMES,
    JPEG,
    document_cases,
    docx,
    image_cases,
    png_pixel_bomb,
    zip_bytes,
)

IMAGE_CASES = image_cases()
DOCUMENT_CASES = document_cases()


def outcome(check, name, content):
    try:
        check(content, name)
    except ValidationError as error:
        assert error.messages[0].startswith(f"{name}: "), "the error names the file"
        return error.code
    return "accept"


@pytest.mark.parametrize(
    ("name", "content", "expected"), IMAGE_CASES, ids=[c[0] for c in IMAGE_CASES]
)
def test_image_check(name, content, expected):
    assert outcome(validate_image, name, content) == expected


@pytest.mark.parametrize(
    ("name", "content", "expected"), DOCUMENT_CASES, ids=[c[0] for c in DOCUMENT_CASES]
)
def test_document_check(name, content, expected, settings):
    settings.MEDIA_MAX_ZIP_INFLATED_SIZE = 10 * 1024 * 1024
    assert outcome(validate_document, name, content) == expected


def test_messages_name_the_rule():
    with pytest.raises(ValidationError) as error:
        validate_image(png_pixel_bomb(), "huge.png")
    assert error.value.messages == [
        "huge.png: 12000x12000 pixels is more than the limit of 128,000,000 pixels"
    ]
    with pytest.raises(ValidationError) as error:
        validate_image(b"x" * (11 * 1024 * 1024), "big.jpg")
    assert error.value.messages == ["big.jpg: the file is 11.0\xa0MB; the limit is 10.0\xa0MB"]


def test_size_limit_follows_settings(settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 100
    with pytest.raises(ValidationError) as error:
        validate_image(image_cases()[0][1], "photo.jpg")
    assert error.value.code == "file_too_large"


@pytest.mark.parametrize(("given", "stored"), HOSTILE_NAMES)
def test_hostile_file_names_are_made_safe(given, stored):
    assert clean_filename(given) == stored


def test_pixel_bomb_is_refused_from_its_header_in_bounded_time_and_memory(tmp_path):
    """Rejecting a 12,000 x 12,000 PNG (432 MB decoded) must not decode it."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_pixel_bomb())
    script = (
        "import resource, sys, time, django; django.setup();"
        "from cms.media.validation import validate_image;"
        "content = open(sys.argv[1], 'rb').read();"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "start = time.perf_counter()\n"
        "try: validate_image(content, 'bomb.png')\n"
        "except Exception as e: print(e.code)\n"
        "print(time.perf_counter() - start);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(bomb)],
        cwd=Path(__file__).resolve().parents[2],
        env={"DJANGO_SETTINGS_MODULE": "cms.settings.test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    code, seconds, grown_kb = result.stdout.split()
    assert code == "too_many_pixels"
    assert float(seconds) < 1.0
    assert int(grown_kb) < 50 * 1024  # under 50 MB above the process's peak so far


# Zip bombs by ratio, and what zip tools do not write for office files


def zeros_zip(size):
    return zip_bytes([("zeros.bin", b"\x00" * size)])


def test_zip_inflating_over_the_ratio_is_refused_under_the_size_cap(settings):
    """5 MiB of zeros in 5 KB: far under MEDIA_MAX_ZIP_INFLATED_SIZE, but 1000:1."""
    settings.MEDIA_MAX_ZIP_INFLATED_SIZE = 200 * 1024 * 1024
    bomb = zeros_zip(5 * 1024 * 1024)
    with pytest.raises(ValidationError) as error:
        validate_document(bomb, "bomb.zip")
    assert error.value.code == "zip_bomb"
    assert error.value.messages[0].startswith(
        f"bomb.zip: the archive inflates to 5.0\xa0MB from {filesizeformat(len(bomb))}, "
        "more than 100 times its size"
    )
    settings.MEDIA_MAX_ZIP_RATIO = 10_000
    validate_document(bomb, "bomb.zip")  # the ratio is a setting


def office_with(flags=None, method=None):
    """A docx whose document part is patched to look encrypted or oddly compressed."""
    content = bytearray(docx())
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as archive:
        info = archive.getinfo("word/document.xml")
        central = archive.start_dir + content[archive.start_dir :].index(b"word/document.xml") - 46
    for offset, value in ((6, flags), (8, method)):
        if value is not None:
            struct.pack_into("<H", content, info.header_offset + offset, value)
            struct.pack_into("<H", content, central + offset + 2, value)
    return bytes(content)


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (office_with(flags=0x1), "encrypted", "'word/document.xml' is encrypted"),
        (office_with(method=9), "format_mismatch", "compressed with “deflate64”"),
        (office_with(method=12), "format_mismatch", "compressed with “bzip2”"),
    ],
    ids=["encrypted", "deflate64", "bzip2"],
)
def test_office_file_entries_must_be_readable(content, code, message):
    with pytest.raises(ValidationError) as error:
        validate_document(content, "report.docx")
    assert error.value.code == code and message in error.value.messages[0]


# File names over the storage's limit in bytes


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "name", "content", "fields"),
    [
        ("/admin/images/add/", "𝔸" * 96 + ".jpg", JPEG, {"description": "Alt", "credit": ""}),
        ("/admin/documents/add/", "𝔸" * 96 + ".pdf", make_pdf("Manual", ["1"]), {}),
    ],
    ids=["image", "document"],
)
def test_admin_upload_of_a_name_too_long_in_bytes(admin_client, media, url, name, content, fields):
    """96 four-byte characters are 384 bytes: a form error naming the limit, not a storage
    failure."""
    response = admin_client.post(
        url,
        {
            "title": "Upload",
            "file": SimpleUploadedFile(name, content),
            "collection": Collection.get_first_root_node().pk,
            **fields,
        },
    )
    assert response.status_code == 200
    assert (
        escape(f"{name}: the file name is 388 bytes long in UTF-8; the limit is 200 bytes")
        in response.content.decode()
    )
    assert get_image_model().objects.count() == get_document_model().objects.count() == 0
    assert media.names() == []


def test_a_name_at_the_byte_limit_is_accepted():
    validate_image(JPEG, "𝔸" * 49 + ".jpg")  # 196 + 4 bytes
    with pytest.raises(ValidationError) as error:
        validate_image(JPEG, "𝔸" * 50 + ".jpg")
    assert error.value.code == "name_too_long"


@pytest.mark.django_db
def test_admin_upload_of_a_ratio_bomb_is_a_form_error(admin_client, media):
    bomb = zeros_zip(5 * 1024 * 1024)
    response = admin_client.post(
        "/admin/documents/add/",
        {
            "title": "Upload",
            "file": SimpleUploadedFile("bomb.zip", bomb),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 200
    assert "bomb.zip: the archive inflates to 5.0" in response.content.decode()
    assert "more than 100 times its size" in response.content.decode()
    assert get_document_model().objects.count() == 0 and media.names() == []
