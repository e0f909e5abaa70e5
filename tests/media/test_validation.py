"""The upload checks themselves, case by case (the upload paths are tested separately)."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from cms.media.validation import clean_filename, validate_document, validate_image
from tests.media.corpus import HOSTILE_NAMES, document_cases, image_cases, png_pixel_bomb

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
