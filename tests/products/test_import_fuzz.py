"""Fuzzing `POST /api/catalogue/import/` with random mutations of a small valid bundle.

Every mutation (a cut or flipped bytes, an entry renamed, duplicated or dropped, a manifest
value of the wrong type or a field removed) must give a 200 with a clean report, or a 400
report whose every error has a place, and no server error; a failed import writes nothing.
Real imports that succeed are rolled back after each example so that each starts afresh.

CI runs FUZZ_EXAMPLES (default 500) examples from a fixed seed. A longer run, by hand:

    FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/products/test_import_fuzz.py \
        -p no:cacheprovider --hypothesis-show-statistics
"""

import copy
import io
import json
import os
import warnings
import zipfile

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from wagtail.models import APIToken

from cms.demo.generate import make_image
from cms.media import transaction as media_transaction
from tests.products.catalogue_helpers import site_state
from tests.storage import StoredMedia

# Hypothesis keeps caches under its home folder: the test run's temporary folder, never the
# repository (removed with the test database at the end of the session).
set_hypothesis_home_dir(django_settings.TEST_DATA_DIR / "hypothesis")

pytestmark = pytest.mark.django_db
URL = "/api/catalogue/import/"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "500"))

IMAGE = make_image("Fuzz", 12, 8, "png")
NOTE = b"Assembly: screw A into B.\n"
MANIFEST = {
    "format": "catalogue/1",
    "products": [
        {
            "sku": "F-1",
            "title": "Fuzz chair",
            "slug": "fuzz-chair",
            "category": "Chairs",
            "summary": "Small.",
            "price": "10.00",
            "tags": ["oak"],
            "hero_image": {"file": "images/a.png", "alt": "A chair"},
            "body": [
                {"type": "heading", "value": "Heading"},
                {"type": "paragraph", "value": "<p>Text</p>"},
                {"type": "image", "value": {"file": "images/a.png", "alt": "", "caption": "C"}},
                {"type": "gallery", "value": ["images/a.png"]},
                {"type": "documents", "value": [{"file": "docs/note.txt", "title": "Note"}]},
                {"type": "specs", "value": [{"name": "Width", "value": "40 cm"}]},
            ],
            "related": [],
            "live": True,
        }
    ],
    "media": {"images/a.png": {"title": "A", "alt": "A chair", "credit": "Me"}},
}
FILES = {"images/a.png": IMAGE, "docs/note.txt": NOTE}


def json_paths(value, path=()):
    """Every place in a JSON value, as a tuple of keys and indexes."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from json_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from json_paths(child, (*path, index))


PATHS = [path for path in json_paths(MANIFEST) if path]
NAMES = [
    "catalogue.json",
    "catalogue.csv",
    "images/a.png",
    "docs/note.txt",
    "images/b.png",
    "../escape.png",
    "/absolute.png",
    "C:/drive.png",
    "wrap/catalogue.json",
    "images/",
    "images/" + "𝔸" * 96 + ".png",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.sampled_from(["", "images/a.png", "../x", "\ud800", "x" * 300, "catalogue/1"])
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def replace(data, path, value):
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def remove(data, path):
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


@st.composite
def bundles(draw):
    """(zip bytes, dry run, what was done): one to three mutations of the valid bundle."""
    data = copy.deepcopy(MANIFEST)
    done = []
    for _ in range(draw(st.integers(0, 2))):
        path = draw(st.sampled_from(PATHS))
        try:
            if draw(st.booleans()):
                replace(data, path, draw(json_values))
                done.append(f"replace {path}")
            else:
                remove(data, path)
                done.append(f"remove {path}")
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or retyped the place
    entries = [("catalogue.json", json.dumps(data).encode()), *FILES.items()]
    for _ in range(draw(st.integers(0, 2))):
        index = draw(st.integers(0, len(entries) - 1))
        action = draw(st.sampled_from(["rename", "duplicate", "drop"]))
        name, content = entries[index]
        if action == "rename":
            new = draw(st.sampled_from(NAMES) | st.text(min_size=1, max_size=20))
            entries[index] = (new, content)
        elif action == "duplicate":
            entries.append((name, draw(st.sampled_from([content, b"", IMAGE]))))
        elif len(entries) > 1:
            entries.pop(index)
        done.append(f"{action} {name}")
    archive = zip_of(entries)
    # Half the bundles keep their bytes: enough of them import for real, then roll back.
    byte_action = draw(st.sampled_from(["none", "none", "truncate", "flip"]))
    if byte_action == "truncate":
        archive = archive[: draw(st.integers(0, len(archive) - 1))]
    elif byte_action == "flip":
        archive = bytearray(archive)
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(archive) - 1))
            archive[at] ^= draw(st.integers(1, 255))
        archive = bytes(archive)
    done.append(byte_action)
    return archive, draw(st.booleans()), done


def zip_of(entries):
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name", on purpose
        for name, content in entries:
            zf.writestr(name, content)
    return buffer.getvalue()


class RolledBack(Exception):
    pass


@pytest.fixture
def token(admin_user):
    return APIToken.create_token(user=admin_user, name="fuzz")[1]


def check_import(client, token, archive, dry_run, done):
    """Post the bundle; check the answer and that a failure wrote nothing."""
    before = site_state()
    upload = io.BytesIO(archive)
    upload.name = "bundle.zip"
    response = client.post(
        URL + ("?dry_run=1" if dry_run else ""),
        {"bundle": upload},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code < 500, (done, response.content[:1000])
    assert response["Content-Type"] == "application/json", done
    report = response.json()
    assert report["format"] == "catalogue-report/1", (done, report)
    if response.status_code == 200:
        assert report["ok"] and report["errors"] == [], (done, report)
        if dry_run:
            assert site_state() == before, done
        return report
    assert response.status_code in (400, 422), (done, response.status_code)
    assert not report["ok"] and report["errors"], (done, report)
    for error in report["errors"]:
        assert isinstance(error["where"], str) and error["where"].strip(), (done, error)
        assert isinstance(error["message"], str) and error["message"].strip(), (done, error)
    assert site_state() == before, (done, report["errors"])
    return report


@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example rolls back what it wrote
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(case=bundles())
def test_import_survives_mutated_bundles(client, token, case):
    archive, dry_run, done = case
    media = StoredMedia()
    files_before = set(media.names())
    for cache in caches.all(initialized_only=True):
        cache.clear()
    try:
        # A successful real import is undone (rows and the files the media models wrote) so
        # that the next example starts from the same site.
        with media_transaction.atomic():
            report = check_import(client, token, archive, dry_run, done)
            event(f"{'ok' if report['ok'] else 'refused'}{', dry run' if dry_run else ''}")
            raise RolledBack
    except RolledBack:
        pass
    for name in set(media.names()) - files_before:  # renditions, which no model tracks
        media.delete(name)


def test_the_unmutated_bundle_imports_for_real(client, token):
    """The fuzzer's starting point is valid, so mutations probe real imports and writes."""
    report = check_import(
        client,
        token,
        zip_of([("catalogue.json", json.dumps(MANIFEST))] + list(FILES.items())),
        False,
        ["none"],
    )
    assert report["products"]["created"] == 1 and report["images"]["created"] == 1
