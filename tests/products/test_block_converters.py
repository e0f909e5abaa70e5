"""The block converter registry: one converter per body block type, shared by manifest
parsing, import and export; an unknown type is an error in each (issue #13)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from products.blocks import ProductBodyBlock
from products.catalogue import block_converters
from products.catalogue.block_converters import (
    CONVERTERS,
    UnknownBlockType,
    clean_markup,
    converter,
    given_alt,
    use_alt,
)
from products.catalogue.problems import Problems
from tests.products.catalogue_helpers import MANIFEST, manifest, run_import, write_bundle


def test_every_body_block_has_exactly_one_converter():
    assert set(CONVERTERS) == set(ProductBodyBlock().child_blocks)


@pytest.mark.parametrize("block_type", ["video", "", None, ["heading"], "Heading"])
def test_an_unknown_type_has_no_converter(block_type):
    with pytest.raises(UnknownBlockType, match="unknown block type"):
        converter(block_type)


@pytest.mark.parametrize(
    ("given", "library", "use"),
    [
        (None, "Library alt", ("Library alt", False)),  # not given: the library's
        ("Own alt", "Library alt", ("Own alt", False)),  # given: it wins
        ("", "Library alt", ("", True)),  # "": decorative
        ("Own alt", "", ("Own alt", False)),
    ],
)
def test_alt_text_precedence_and_its_inverse(given, library, use):
    assert use_alt(given, library) == use
    # What an export writes gives the same use back on import.
    assert use_alt(given_alt(*use, library), library) == use


def test_an_export_leaves_out_an_alt_equal_to_the_librarys():
    assert given_alt("Library alt", False, "Library alt") is None
    assert given_alt("", True, "Library alt") == ""


class Uses:
    """The importer's side: references to stored uses, library items by path."""

    def image(self, ref):
        alt_text, decorative = use_alt(ref.alt, "Library alt")
        return {"image": ref.path, "alt_text": alt_text, "decorative": decorative}

    def document(self, ref):
        return {"document": ref.path, "title": ref.title or ""}

    def rich_text(self, html):
        return clean_markup(html)


class Refs:
    """The exporter's side: stored uses back to references."""

    def image(self, use, where, caption=""):
        ref = {"file": use["image"]}
        alt = given_alt(use["alt_text"], use["decorative"], "Library alt")
        if alt is not None:
            ref["alt"] = alt
        if caption:
            ref["caption"] = caption
        return ref if len(ref) > 1 else ref["file"]

    def document(self, link, where):
        return (
            {"file": link["document"], "title": link["title"]}
            if link["title"]
            else link["document"]
        )


@pytest.mark.parametrize(
    "block",
    [
        {"type": "heading", "value": "Craftsmanship"},
        {"type": "paragraph", "value": "<p>Rich text as <b>HTML</b>.</p>"},
        {"type": "image", "value": {"file": "a.jpg", "alt": "Joint", "caption": "Tenon"}},
        {"type": "gallery", "value": [{"file": "a.jpg", "alt": ""}, "b.jpg"]},
        {"type": "documents", "value": [{"file": "m.pdf", "title": "Manual"}, "n.pdf"]},
        {"type": "specs", "value": [{"name": "Height", "value": "92 cm"}]},
    ],
)
def test_each_converter_round_trips(block):
    problems = Problems()
    block_converter = converter(block["type"])
    parsed = block_converter.parse(block["value"], "body[0].value", problems)
    assert not problems
    stored = block_converter.to_stream(parsed, Uses())
    assert block_converter.to_manifest(stored, Refs(), "body[0]") == block["value"]


@pytest.mark.django_db
def test_an_unknown_block_type_in_a_manifest_is_an_error(tmp_path, catalogue):
    body = [{"type": "heading", "value": "Fine"}, {"type": "video", "value": "clip.mp4"}]
    ok, _, err = run_import(write_bundle(tmp_path / "b", manifest(body=body)))
    assert not ok
    assert "error: products[0].body[1].type: unknown block type 'video' (known: heading," in err


@pytest.mark.django_db
def test_an_unknown_block_type_stops_the_export(tmp_path, catalogue, monkeypatch):
    """A block type with no converter (here: specs, unregistered) is never exported as
    something else: the export stops, names the product and block, and writes nothing."""
    ok, _, err = run_import(write_bundle(tmp_path / "b", MANIFEST), "--no-renditions")
    assert ok, err
    monkeypatch.delitem(block_converters.CONVERTERS, "specs")
    out = tmp_path / "out"
    with pytest.raises(CommandError) as failure:
        call_command("export_catalogue", str(out), stdout=StringIO(), stderr=StringIO())
    assert str(failure.value) == (
        "nothing was exported: product CH-1001, body[5].type: unknown block type 'specs' "
        "(known: heading, paragraph, image, gallery, documents)"
    )
    assert not out.exists()
