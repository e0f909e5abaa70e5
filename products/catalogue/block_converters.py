"""The one registry of body block types: manifest value <-> StreamField value.

Manifest parsing (`parse`), planning (`to_stream`) and export (`to_manifest`) all look a
block type up here with `converter()`; a type that is not registered is an error everywhere
(`UnknownBlockType`), never a fall-through.

A converter never touches the database: the importer passes `uses`, which turns a
reference into the stored use of a library item (`uses.image(ref)`, `uses.document(ref)`)
and gives a paragraph's markup as stored (`uses.rich_text(html)`, normally `clean_markup`),
and the exporter passes `refs`, which turns a stored use back into a reference
(`refs.image(use, where, caption)`, `refs.document(link, where)`, None when the item is gone).
"""

from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

from products.blocks import PARAGRAPH_FEATURES
from products.catalogue.fields import (
    MediaRef,
    json_document_ref,
    json_image_ref,
    json_list,
    shown,
    text,
    unknown_keys,
)


def clean_markup(html):
    """A paragraph's markup as stored: cleaned to what the rich text editor allows (scripts
    and event attributes go)."""
    return EditorHTMLConverter(features=PARAGRAPH_FEATURES).to_database_format(html)


class UnknownBlockType(ValueError):
    """A block type no converter is registered for."""

    def __init__(self, block_type):
        super().__init__(
            f"unknown block type {shown(block_type)} (known: {', '.join(CONVERTERS)})"
        )
        self.block_type = block_type


def converter(block_type):
    """The converter of `block_type`; raises UnknownBlockType for any other."""
    try:
        return CONVERTERS[block_type]
    except (KeyError, TypeError):  # TypeError: an unhashable JSON value as the type
        raise UnknownBlockType(block_type) from None


# The alt-text rule of the format (section 2, image reference), in one place.


def use_alt(given, library_alt):
    """`(alt_text, decorative)` shown by one use of an image: the reference's own `alt` when
    given, else the library image's; `"alt": ""` marks the use decorative."""
    if given == "":
        return "", True
    return given or library_alt, False


def given_alt(alt_text, decorative, library_alt):
    """The `alt` a reference must give for `use_alt` to show this use again: None where the
    library's alt already does (the export then leaves `alt` out)."""
    if decorative:
        return ""
    if not alt_text or use_alt(None, library_alt) == (alt_text, False):
        return None
    return alt_text


class Heading:
    type = "heading"

    def parse(self, value, at, problems, version="1"):
        return text(value, at, problems, low=1, name="heading")

    def references(self, value):
        return ()

    def to_stream(self, value, uses):
        return value

    def to_manifest(self, value, refs, where):
        return value


class Paragraph:
    type = "paragraph"

    def parse(self, value, at, problems, version="1"):
        return text(value, at, problems, high=None, name="paragraph")

    def references(self, value):
        return ()

    def to_stream(self, value, uses):
        return uses.rich_text(value)

    def to_manifest(self, value, refs, where):
        return value


class Image:
    type = "image"

    def parse(self, value, at, problems, version="1"):
        return json_image_ref(value, at, problems, caption=True, version=version)

    def references(self, value):
        return (value,) if isinstance(value, MediaRef) else ()

    def to_stream(self, value, uses):
        return {"image": uses.image(value), "caption": value.caption}

    def to_manifest(self, value, refs, where):
        return refs.image(value["image"], f"{where}.value.image", value.get("caption", ""))


class Gallery:
    type = "gallery"

    def parse(self, value, at, problems, version="1"):
        items = json_list(value, at, problems, 1, 50, "image references")
        return [
            json_image_ref(v, f"{at}[{i}]", problems, version=version) for i, v in enumerate(items)
        ]

    def references(self, value):
        return [ref for ref in value if isinstance(ref, MediaRef)]

    def to_stream(self, value, uses):
        return [uses.image(ref) for ref in value]

    def to_manifest(self, value, refs, where):
        items = [refs.image(use, f"{where}.value[{n}]") for n, use in enumerate(value)]
        return [item for item in items if item is not None] or None  # at least one item


class Documents:
    type = "documents"

    def parse(self, value, at, problems, version="1"):
        items = json_list(value, at, problems, 1, 50, "document references")
        return [json_document_ref(v, f"{at}[{i}]", problems) for i, v in enumerate(items)]

    def references(self, value):
        return [ref for ref in value if isinstance(ref, MediaRef)]

    def to_stream(self, value, uses):
        return [uses.document(ref) for ref in value]

    def to_manifest(self, value, refs, where):
        items = [refs.document(link, f"{where}.value[{n}]") for n, link in enumerate(value)]
        return [item for item in items if item is not None] or None  # at least one item


class Specs:
    type = "specs"

    def parse(self, value, at, problems, version="1"):
        rows = json_list(value, at, problems, 1, 100, "rows")
        return [spec_row(v, f"{at}[{i}]", problems) for i, v in enumerate(rows)]

    def references(self, value):
        return ()

    def to_stream(self, value, uses):
        return [{"name": name, "value": text} for name, text in value]

    def to_manifest(self, value, refs, where):
        return [{"name": row["name"], "value": row["value"]} for row in value]


def spec_row(raw, where, problems):
    if not isinstance(raw, dict):
        problems.add(where, "a spec row is an object with “name” and “value”")
        return None
    unknown_keys(raw, {"name", "value"}, where, problems)
    name = text(raw.get("name"), f"{where}.name", problems, low=1, name="name")
    value = text(raw.get("value"), f"{where}.value", problems, low=1, name="value")
    return (name, value) if name is not None and value is not None else None


CONVERTERS = {
    block.type: block
    for block in (Heading(), Paragraph(), Image(), Gallery(), Documents(), Specs())
}
