"""Hostile and malformed bundles: size limits checked before anything is inflated, and every
broken zip or manifest a located error in the report (400 over HTTP), never a server error,
never a write. Bad zips are built here, byte by byte where zipfile would refuse to."""

import io
import json
import struct
import tracemalloc
import warnings
import zipfile

import pytest
from wagtail.models import APIToken

from tests.products.catalogue_helpers import (
    CHAIR,
    FILES,
    MANIFEST,
    run_import,
    site_state,
    write_bundle,
    zip_folder,
)

pytestmark = pytest.mark.django_db
URL = "/api/catalogue/import/"
MIB = 1024 * 1024
ZIP = "bundle.zip"  # the uploaded file's name: the place of errors about the whole zip


def zip_of(entries, compression=zipfile.ZIP_DEFLATED):
    """A zip (bytes) of (name, bytes or str) pairs, in order; names may repeat."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", compression) as archive:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name", on purpose
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def bundle_entries(data=None, files=None):
    """The entries of a valid bundle: the manifest first, then its media."""
    manifest = data if isinstance(data, bytes) else json.dumps(data or MANIFEST).encode()
    return [("catalogue.json", manifest), *(FILES if files is None else files).items()]


def patch_entry(archive, name, **fields):
    """`archive` with the named entry's header fields overwritten in both its local header
    and the central directory: `flags`, `method`, `crc`, `size` (the inflated size)."""
    data = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        local = zf.getinfo(name).header_offset
        directory = zf.start_dir
    central = directory
    while data[central : central + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack_from("<HHH", data, central + 28)
        if data[central + 46 : central + 46 + name_length].decode() == name:
            break
        central += 46 + name_length + extra + comment
    # Offsets of (flags, method, crc, inflated size) in a local header and a central entry.
    layout = {"flags": (6, 8, "<H"), "method": (8, 10, "<H"), "crc": (14, 16, "<I")}
    layout["size"] = (22, 24, "<I")
    for key, value in fields.items():
        local_at, central_at, fmt = layout[key]
        struct.pack_into(fmt, data, local + local_at, value)
        struct.pack_into(fmt, data, central + central_at, value)
    return bytes(data)


@pytest.fixture
def token(admin_user):
    return APIToken.create_token(user=admin_user, name="integration")[1]


def post(client, token, content, query=""):
    upload = io.BytesIO(content)
    upload.name = "bundle.zip"
    return client.post(
        URL + query, {"bundle": upload}, headers={"Authorization": f"Bearer {token}"}
    )


def assert_refused(response, where, message):
    """A 400 JSON report whose errors all have a place, one of them `where` with `message`."""
    assert response.status_code == 400, response.content[:500]
    report = response.json()
    assert report["format"] == "catalogue-report/1" and report["ok"] is False
    assert all(error["where"] and error["message"] for error in report["errors"])
    assert any(
        error["where"] == where and message in error["message"] for error in report["errors"]
    ), report["errors"]
    return report


def measured(call):
    """(what `call` returns, the peak of memory Python allocated during it)."""
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def spaces_manifest(size):
    """A valid, empty manifest padded with `size` spaces: a bomb that compresses ~1000:1."""
    return b'{"format": "catalogue/1", "products": []' + b" " * size + b"}"


# Size limits


def test_manifest_bomb_is_refused_without_inflating_it(client, token, settings):
    """25 MiB of spaces (25 KB zipped) against the 20 MiB default: refused from the zip's
    directory, with the process never holding anything near the inflated size."""
    assert settings.CATALOGUE_MANIFEST_MAX_SIZE == 20 * MIB
    bomb = zip_of([("catalogue.json", spaces_manifest(25 * MIB))])
    assert len(bomb) < 100_000
    before = site_state()
    post(client, token, zip_of(bundle_entries(b"{}")))  # warm up
    response, peak = measured(lambda: post(client, token, bomb))
    assert_refused(
        response, "catalogue.json", "the manifest is 25.0\xa0MB; the limit is 20.0\xa0MB"
    )
    assert peak < 5 * MIB, f"peak {peak:,} bytes while refusing the bomb"
    assert site_state() == before


def manifest_only_zip(tmp_path, manifest_bytes):
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(zip_of([("catalogue.json", manifest_bytes)]))
    return archive


def folder_bundle(tmp_path, manifest_bytes):
    folder = write_bundle(tmp_path / "bundle", MANIFEST)
    (folder / "catalogue.json").write_bytes(manifest_bytes)
    return folder


@pytest.mark.parametrize("make_bundle", [manifest_only_zip, folder_bundle], ids=["zip", "folder"])
def test_manifest_over_the_limit_through_the_command(tmp_path, settings, make_bundle):
    settings.CATALOGUE_MANIFEST_MAX_SIZE = 1 * MIB
    (tmp_path / "warm-up").mkdir()
    run_import(make_bundle(tmp_path / "warm-up", b"{}"))  # imports done outside the measure
    bundle = make_bundle(tmp_path, spaces_manifest(3 * MIB))
    before = site_state()
    (ok, _, err), peak = measured(lambda: run_import(bundle))
    assert not ok
    assert "error: catalogue.json: the manifest is 3.0\xa0MB; the limit is 1.0\xa0MB" in err
    assert peak < 1 * MIB
    assert site_state() == before


def test_a_manifest_lying_about_its_size_is_read_no_further(client, token):
    """The directory says 100 bytes; the entry really inflates to 25 MiB."""
    bomb = zip_of([("catalogue.json", spaces_manifest(25 * MIB))])
    lying = patch_entry(bomb, "catalogue.json", size=100)
    post(client, token, zip_of(bundle_entries(b"{}")))  # warm up
    response, peak = measured(lambda: post(client, token, lying))
    assert_refused(response, "catalogue.json", "the zip entry cannot be read (Bad CRC-32")
    assert peak < 5 * MIB


def test_number_of_entries_is_capped(client, token, settings):
    settings.CATALOGUE_BUNDLE_MAX_ENTRIES = 5
    entries = [*bundle_entries(), ("extra/a.txt", b"a"), ("extra/b.txt", b"b")]
    before = site_state()
    report = assert_refused(post(client, token, zip_of(entries)), ZIP, "the zip holds 7 entries")
    assert "the limit is 5" in report["errors"][0]["message"]
    assert site_state() == before


def test_zip_directory_over_the_entry_budget_is_refused_before_parsing(tmp_path, settings):
    """A directory far larger than the entries allowed could hold: zipfile would build an
    object per entry before any count could be checked."""
    settings.CATALOGUE_BUNDLE_MAX_ENTRIES = 2
    archive = tmp_path / "many.zip"
    archive.write_bytes(zip_of([(f"x/{n:04}.txt", b"") for n in range(100)]))
    ok, _, err = run_import(archive)
    assert not ok
    assert "error: many.zip: the zip's directory is" in err and "(at most 2 entries)" in err


def test_total_inflated_size_is_capped(client, token, settings):
    settings.CATALOGUE_BUNDLE_MAX_INFLATED_SIZE = 2000
    before = site_state()
    assert_refused(
        post(client, token, zip_of(bundle_entries())),
        ZIP,
        "unpacked, the zip is",
    )
    assert site_state() == before


# Malformed zips


def image_entry_where():
    return "products[0].hero_image.file"


MALFORMED = [
    (
        "encrypted manifest",
        lambda: patch_entry(zip_of(bundle_entries()), "catalogue.json", flags=0x1),
        "catalogue.json",
        "the zip entry is encrypted",
    ),
    (
        "encrypted image",
        lambda: patch_entry(zip_of(bundle_entries()), "images/ch-1001.jpg", flags=0x1),
        image_entry_where(),
        "images/ch-1001.jpg: the zip entry is encrypted",
    ),
    (
        "deflate64 manifest",
        lambda: patch_entry(zip_of(bundle_entries()), "catalogue.json", method=9),
        "catalogue.json",
        "compressed with “deflate64”",
    ),
    (
        "deflate64 image",
        lambda: patch_entry(zip_of(bundle_entries()), "images/ch-1001.jpg", method=9),
        image_entry_where(),
        "compressed with “deflate64”",
    ),
    (
        "bzip2 image",
        lambda: zip_of(bundle_entries(), compression=zipfile.ZIP_BZIP2),
        "catalogue.json",
        "compressed with “bzip2”",
    ),
    (
        "bad CRC on an image",
        lambda: patch_entry(zip_of(bundle_entries()), "images/ch-1001.jpg", crc=0x12345678),
        image_entry_where(),
        "images/ch-1001.jpg: the zip entry cannot be read (Bad CRC-32",
    ),
    (
        "corrupt deflate stream",
        lambda: corrupt_stream(zip_of(bundle_entries()), "catalogue.json"),
        "catalogue.json",
        "the zip entry cannot be read",
    ),
    (
        "truncated zip",
        lambda: zip_of(bundle_entries())[:-200],
        ZIP,
        "not a readable zip file",
    ),
    ("not a zip", lambda: b"just text, not a zip", ZIP, "not a readable zip file"),
    (
        "duplicate entry names",
        lambda: zip_of([*bundle_entries(), ("images/ch-1001.jpg", CHAIR)]),
        "images/ch-1001.jpg",
        "two entries of this name",
    ),
]


def corrupt_stream(archive, name):
    """The entry's compressed bytes replaced by garbage of the same length."""
    data = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode())
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(data)


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_zip_is_a_located_error(client, token, content, where, message):
    before = site_state()
    assert_refused(post(client, token, content()), where, message)
    assert site_state() == before


# Malformed manifests


def deep_json(depth):
    return b'{"format": "catalogue/1", "products": ' + b"[" * depth + b"]" * depth + b"}"


MANIFESTS = [
    ("nested 200,000 deep", deep_json(200_000), "catalogue.json", "nested too deeply"),
    (
        "invalid UTF-8",
        b'{"format": "catalogue/1", "products": [{"sku": "A", "title": "\xff"}]}',
        "catalogue.json",
        "not UTF-8 text (byte 62)",
    ),
    (
        "a lone surrogate",
        b'{"format": "catalogue/1", "products": [{"sku": "A", "title": "\\ud800"}]}',
        "catalogue.json",
        "a lone surrogate",
    ),
    (
        "an integer of 5000 digits",
        b'{"format": "catalogue/1", "products": [{"sku": "A", "title": "B", "price": '
        + b"9" * 5000
        + b"}]}",
        "catalogue.json",
        "not valid JSON",
    ),
]


@pytest.mark.parametrize(
    ("manifest", "where", "message"),
    [case[1:] for case in MANIFESTS],
    ids=[case[0] for case in MANIFESTS],
)
def test_malformed_manifest_is_a_located_error(client, token, manifest, where, message):
    before = site_state()
    response = post(client, token, zip_of(bundle_entries(manifest)))
    assert_refused(response, where, message)
    assert site_state() == before


def test_a_huge_value_of_the_wrong_type_is_named_not_quoted(client, token):
    nested = json.loads(deep_json(100))["products"]
    data = {"format": "catalogue/1", "products": [{"sku": nested, "title": "A"}]}
    report = assert_refused(
        post(client, token, zip_of(bundle_entries(data))), "products[0].sku", "a list is not"
    )
    assert len(json.dumps(report)) < 2000


def test_csv_cell_over_the_field_limit(client, token, tmp_path):
    csv = "sku,title,summary\nA,Chair,short\nB,Table," + "x" * (128 * 1024 + 1) + "\n"
    entries = [("catalogue.csv", csv.encode())]
    before = site_state()
    assert_refused(
        post(client, token, zip_of(entries)),
        "catalogue.csv row 3",
        "a cell holds more than 131,072 characters",
    )
    assert site_state() == before
    # The command says the same.
    archive = tmp_path / "b.zip"
    archive.write_bytes(zip_of(entries))
    ok, _, err = run_import(archive)
    assert not ok and "error: catalogue.csv row 3: a cell holds more than" in err


def test_a_million_problems_make_a_short_report(client, token, settings):
    settings.CATALOGUE_MAX_PRODUCTS = 1_000_000
    data = {"format": "catalogue/1", "products": [0] * 1_000_000}
    report = assert_refused(
        post(client, token, zip_of(bundle_entries(data))), "products[0]", "must be an object"
    )
    assert len(report["errors"]) == 1001
    assert report["errors"][-1]["message"].startswith("more than 1,000 problems")


# File names


def test_image_name_too_long_in_bytes_is_a_located_error(client, token):
    name = "images/" + "𝔸" * 96 + ".jpg"
    data = {
        "format": "catalogue/1",
        "products": [{"sku": "A", "title": "A", "hero_image": {"file": name, "alt": "A"}}],
    }
    before = site_state()
    assert_refused(
        post(client, token, zip_of(bundle_entries(data, {name: CHAIR}))),
        "products[0].hero_image.file",
        "the file name is 388 bytes long in UTF-8; the limit is 200 bytes",
    )
    assert site_state() == before


def test_zip_document_bomb_in_a_bundle_is_refused(client, token):
    """The document check's ratio rule holds for imports too."""
    bomb = zip_of([("zeros.bin", b"\x00" * (5 * MIB))])
    data = {
        "format": "catalogue/1",
        "products": [
            {"sku": "A", "title": "A", "body": [{"type": "documents", "value": ["docs/z.zip"]}]}
        ],
    }
    before = site_state()
    assert_refused(
        post(client, token, zip_of(bundle_entries(data, {"docs/z.zip": bomb}))),
        "products[0].body[0].value[0]",
        "more than 100 times its size: refused as a possible zip bomb",
    )
    assert site_state() == before


def test_a_valid_bundle_still_imports(client, token, media):
    """The limits leave an ordinary bundle alone (and a folder-zipped one too)."""
    response = post(client, token, zip_of(bundle_entries()))
    assert response.status_code == 200, response.content[:500]
    assert response.json()["products"]["created"] == 2


def test_a_zipped_folder_still_imports(tmp_path):
    archive = zip_folder(write_bundle(tmp_path / "b", MANIFEST), tmp_path / "b.zip", "b/")
    ok, out, err = run_import(archive, "--dry-run")
    assert ok, err
