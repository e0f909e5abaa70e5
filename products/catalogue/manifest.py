"""Parsing a manifest (JSON or CSV) into product specs, checking every field's own rules.

Both formats give the same `Manifest`; each field, reference and block remembers its place
(`products[3].body[1].value[0].file`, `catalogue.csv row 5, column gallery`) for errors.
Rules that need the whole manifest or the site (unique SKUs, related SKUs, alt text, media
content) are checked by `importer.py`.
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug, validate_unicode_slug

from products.catalogue.bundle import path_problem

FORMAT = "catalogue/1"
SKU = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PRICE = re.compile(r"^[0-9]{1,8}(\.[0-9]{1,2})?$")
TOP_KEYS = {"format", "products", "media"}
PRODUCT_KEYS = {
    "sku",
    "title",
    "slug",
    "category",
    "summary",
    "price",
    "tags",
    "hero_image",
    "body",
    "related",
    "live",
}
BLOCK_TYPES = ("heading", "paragraph", "image", "gallery", "documents", "specs")
CSV_COLUMNS = {
    "sku",
    "title",
    "slug",
    "category",
    "summary",
    "price",
    "tags",
    "hero_image",
    "hero_alt",
    "gallery",
    "documents",
    "live",
}


@dataclass
class MediaRef:
    kind: str  # "image" or "document"
    path: str
    where: str  # the place of the reference's file, for errors
    alt: str | None = None  # images: None when not given, "" for decorative
    title: str | None = None  # documents: a per-use title
    caption: str = ""  # image blocks


@dataclass
class Block:
    type: str
    value: object  # str, MediaRef, list of MediaRef, or list of (name, value)
    where: str


@dataclass
class ProductSpec:
    where: str
    places: dict = field(default_factory=dict)  # field name -> place
    sku: str = ""
    title: str = ""
    slug: str | None = None
    category: str | None = None
    summary: str = ""
    price: Decimal | None = None
    tags: list = field(default_factory=list)
    hero: MediaRef | None = None
    body: list = field(default_factory=list)
    related: list = field(default_factory=list)
    live: bool = True

    def place(self, name):
        return self.places.get(name, f"{self.where}.{name}")

    def references(self):
        """Every media reference, in manifest order: hero first, then the body's."""
        if self.hero:
            yield self.hero
        for block in self.body:
            if isinstance(block.value, MediaRef):
                yield block.value
            elif isinstance(block.value, list):
                yield from (item for item in block.value if isinstance(item, MediaRef))


@dataclass
class Manifest:
    name: str
    products: list
    media: dict = field(default_factory=dict)  # path -> {"title", "alt", "credit"}
    media_places: dict = field(default_factory=dict)  # path -> place, for errors


JSON_TYPES = {dict: "an object", list: "a list", bool: "true or false", type(None): "null"}


def shown(value, limit=80):
    """A manifest value as an error message quotes it: a string clipped and escaped (repr),
    anything else by its JSON type, so a huge or deeply nested value never fills a report."""
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[:limit] + "…")
    return JSON_TYPES.get(type(value), "a number")


def clipped(key, limit=80):
    """An object key as a place or message names it: at most `limit` characters."""
    return key if len(key) <= limit else key[:limit] + "…"


def text(value, where, problems, *, low=0, high=255, name="value", trim=False):
    """A string of `low`..`high` code points (after trimming, if asked), or None."""
    if not isinstance(value, str):
        problems.add(where, f"the {name} must be a string")
        return None
    if trim:
        value = value.strip()
    if len(value) < low or (high is not None and len(value) > high):
        size = f"{low}–{high}" if high is not None else f"at least {low}"
        problems.add(where, f"the {name} must be {size} characters long, not {len(value)}")
        return None
    return value


def unknown_keys(data, allowed, where, problems):
    for key in data:
        if key not in allowed:
            name = clipped(key)
            problems.add(f"{where}.{name}" if where else name, f"unknown field “{name}”")


def slug_problem(slug):
    validator = (
        validate_unicode_slug
        if getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True)
        else validate_slug
    )
    try:
        validator(slug)
    except ValidationError:
        return f"“{slug}” is not a valid slug (letters, digits, hyphens and underscores)"
    return None


def check_path(path, where, problems):
    problem = path_problem(path)
    if problem:
        problems.add(where, problem)
        return False
    return True


def too_many_products(count, where, problems):
    """Whether the manifest lists more products than CATALOGUE_MAX_PRODUCTS (recorded at
    `where`): checked before any product is read, since every one costs work and memory."""
    limit = settings.CATALOGUE_MAX_PRODUCTS
    if count <= limit:
        return False
    problems.add(where, f"the manifest lists {count:,} products; the limit is {limit:,}")
    return True


# JSON


def parse_json(data, problems):
    try:
        document = json.loads(data.decode("utf-8-sig"))
        # A lone surrogate escape (“\ud800”) decodes, but is no text a page or a report
        # could store: encoding everything back finds any, keys included.
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeDecodeError as error:
        problems.add("catalogue.json", f"not UTF-8 text (byte {error.start})")
        return None
    except UnicodeEncodeError as error:
        character = error.object[error.start]
        problems.add(
            "catalogue.json", f"a string holds “\\u{ord(character):04x}”, a lone surrogate"
        )
        return None
    except RecursionError:
        problems.add("catalogue.json", "arrays and objects are nested too deeply to read")
        return None
    except ValueError as error:  # JSONDecodeError, and integers over Python's digit limit
        problems.add("catalogue.json", f"not valid JSON ({str(error)[:200]})")
        return None
    if not isinstance(document, dict):
        problems.add("catalogue.json", "the manifest must be a JSON object")
        return None
    unknown_keys(document, TOP_KEYS, "", problems)
    if document.get("format") != FORMAT:
        problems.add("format", f"must be the string “{FORMAT}”")
    products = document.get("products")
    if not isinstance(products, list):
        problems.add("products", "required: a list of products (it may be empty)")
        products = []
    if too_many_products(len(products), "products", problems):
        return None
    manifest = Manifest("catalogue.json", [])
    for index, raw in enumerate(products):
        product = json_product(raw, f"products[{index}]", problems)
        if product:
            manifest.products.append(product)
    media = document.get("media", {})
    if not isinstance(media, dict):
        problems.add("media", "must be an object keyed by file path")
        media = {}
    for path, details in media.items():
        place = f"media[{json.dumps(clipped(path), ensure_ascii=False)}]"
        manifest.media_places[path] = place
        if not isinstance(details, dict):
            problems.add(place, "library details must be an object")
            continue
        unknown_keys(details, {"title", "alt", "credit"}, place, problems)
        limits = {"title": (1, 255), "alt": (1, 255), "credit": (0, 255)}
        entry = {}
        for key, (low, high) in limits.items():
            if key in details:
                value = text(
                    details[key], f"{place}.{key}", problems, low=low, high=high, name=key
                )
                if value is not None:
                    entry[key] = value
        manifest.media[path] = entry
    return manifest


def json_product(raw, where, problems):
    if not isinstance(raw, dict):
        problems.add(where, "a product must be an object")
        return None
    unknown_keys(raw, PRODUCT_KEYS, where, problems)
    spec = ProductSpec(where)
    for required in ("sku", "title"):
        if required not in raw:
            problems.add(f"{where}.{required}", f"required: every product has a {required}")
    if "sku" in raw:
        spec.sku = check_sku(raw["sku"], f"{where}.sku", problems)
    if "title" in raw:
        spec.title = (
            text(raw["title"], f"{where}.title", problems, low=1, trim=True, name="title") or ""
        )
    if "slug" in raw:
        spec.slug = check_slug(raw["slug"], f"{where}.slug", problems)
    if "category" in raw:
        spec.category = text(
            raw["category"],
            f"{where}.category",
            problems,
            low=1,
            high=100,
            trim=True,
            name="category",
        )
    if "summary" in raw:
        spec.summary = (
            text(raw["summary"], f"{where}.summary", problems, high=1000, name="summary") or ""
        )
    if "price" in raw:
        spec.price = check_price(raw["price"], f"{where}.price", problems)
    if "tags" in raw:
        spec.tags = check_tags(raw["tags"], f"{where}.tags", problems)
    if "hero_image" in raw:
        spec.hero = json_image_ref(raw["hero_image"], f"{where}.hero_image", problems)
        if spec.hero and spec.hero.alt == "":
            problems.add(
                f"{where}.hero_image.alt",
                "a hero image is never decorative: "
                "give alt text or leave “alt” out to use the library's",
            )
    if "body" in raw:
        spec.body = json_body(raw["body"], f"{where}.body", problems)
    if "related" in raw:
        spec.related = check_related(raw["related"], f"{where}.related", problems)
    if "live" in raw:
        if isinstance(raw["live"], bool):
            spec.live = raw["live"]
        else:
            problems.add(f"{where}.live", "must be true or false")
    return spec


def check_sku(value, where, problems):
    if not isinstance(value, str) or not SKU.match(value):
        problems.add(where, f"{shown(value)} is not a valid SKU (1–64 of A-Z a-z 0-9 . _ -)")
        return ""
    return value


def check_slug(value, where, problems):
    if not isinstance(value, str) or not value or len(value) > 255:
        problems.add(where, "a slug is a string of 1–255 characters")
        return None
    problem = slug_problem(value)
    if problem:
        problems.add(where, problem)
        return None
    return value


def check_price(value, where, problems):
    if not isinstance(value, str):
        problems.add(where, "a price is a string such as “129.00” (a JSON number loses precision)")
        return None
    if not PRICE.match(value):
        problems.add(
            where, f"“{clipped(value)}” is not a price (up to 8 digits, then up to 2 decimals)"
        )
        return None
    return Decimal(value)


def check_tags(value, where, problems):
    if not isinstance(value, list):
        problems.add(where, "tags are a list of strings")
        return []
    tags = []
    for index, tag in enumerate(value):
        tag = text(tag, f"{where}[{index}]", problems, low=1, high=100, trim=True, name="tag")
        if tag is not None and tag not in tags:
            tags.append(tag)
    return sorted(tags)


def check_related(value, where, problems):
    if not isinstance(value, list):
        problems.add(where, "related is a list of SKUs")
        return []
    return [check_sku(sku, f"{where}[{index}]", problems) for index, sku in enumerate(value)]


def json_image_ref(raw, where, problems, *, caption=False):
    if isinstance(raw, str):
        return MediaRef("image", raw, where) if check_path(raw, where, problems) else None
    if not isinstance(raw, dict):
        problems.add(where, "an image reference is a path or an object with “file”")
        return None
    unknown_keys(raw, {"file", "alt", "caption"} if caption else {"file", "alt"}, where, problems)
    if "file" not in raw:
        problems.add(f"{where}.file", "required: the image's path in the bundle")
        return None
    if not check_path(raw["file"], f"{where}.file", problems):
        return None
    ref = MediaRef("image", raw["file"], f"{where}.file")
    if "alt" in raw:
        ref.alt = text(raw["alt"], f"{where}.alt", problems, name="alt text")
    if "caption" in raw:
        ref.caption = text(raw["caption"], f"{where}.caption", problems, name="caption") or ""
    return ref


def json_document_ref(raw, where, problems):
    if isinstance(raw, str):
        return MediaRef("document", raw, where) if check_path(raw, where, problems) else None
    if not isinstance(raw, dict):
        problems.add(where, "a document reference is a path or an object with “file”")
        return None
    unknown_keys(raw, {"file", "title"}, where, problems)
    if "file" not in raw:
        problems.add(f"{where}.file", "required: the document's path in the bundle")
        return None
    if not check_path(raw["file"], f"{where}.file", problems):
        return None
    ref = MediaRef("document", raw["file"], f"{where}.file")
    if "title" in raw:
        ref.title = text(raw["title"], f"{where}.title", problems, low=1, name="title")
    return ref


def json_list(raw, where, problems, low, high, what):
    if not isinstance(raw, list) or not low <= len(raw) <= high:
        problems.add(where, f"a list of {low}–{high} {what}")
        return []
    return raw


def json_body(raw, where, problems):
    if not isinstance(raw, list):
        problems.add(where, "the body is a list of blocks")
        return []
    blocks = []
    for index, item in enumerate(raw):
        place = f"{where}[{index}]"
        if not isinstance(item, dict):
            problems.add(place, "a block is an object with “type” and “value”")
            continue
        unknown_keys(item, {"type", "value"}, place, problems)
        kind, value, at = item.get("type"), item.get("value"), f"{place}.value"
        if kind not in BLOCK_TYPES:
            problems.add(
                f"{place}.type",
                f"unknown block type {shown(kind)} (known: {', '.join(BLOCK_TYPES)})",
            )
            continue
        if "value" not in item:
            problems.add(at, "required: the block's value")
            continue
        if kind == "heading":
            value = text(value, at, problems, low=1, name="heading")
        elif kind == "paragraph":
            value = text(value, at, problems, high=None, name="paragraph")
        elif kind == "image":
            value = json_image_ref(value, at, problems, caption=True)
        elif kind == "gallery":
            items = json_list(value, at, problems, 1, 50, "image references")
            value = [json_image_ref(v, f"{at}[{i}]", problems) for i, v in enumerate(items)]
        elif kind == "documents":
            items = json_list(value, at, problems, 1, 50, "document references")
            value = [json_document_ref(v, f"{at}[{i}]", problems) for i, v in enumerate(items)]
        elif kind == "specs":
            value = [
                spec_row(v, f"{at}[{i}]", problems)
                for i, v in enumerate(json_list(value, at, problems, 1, 100, "rows"))
            ]
        blocks.append(Block(kind, value, at))
    return blocks


def spec_row(raw, where, problems):
    if not isinstance(raw, dict):
        problems.add(where, "a spec row is an object with “name” and “value”")
        return None
    unknown_keys(raw, {"name", "value"}, where, problems)
    name = text(raw.get("name"), f"{where}.name", problems, low=1, name="name")
    value = text(raw.get("value"), f"{where}.value", problems, low=1, name="value")
    return (name, value) if name is not None and value is not None else None


# CSV


def parse_csv(data, problems):
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.add("catalogue.csv", f"not UTF-8 text (byte {error.start})")
        return None
    rows = []
    try:
        for row in csv.reader(io.StringIO(content, newline="")):
            rows.append(row)
    except csv.Error as error:
        problems.add(f"catalogue.csv row {len(rows) + 1}", csv_problem(error))
        return None
    manifest = Manifest("catalogue.csv", [])
    if not rows:
        problems.add("catalogue.csv row 1", "no header row")
        return manifest
    header = [name.strip() for name in rows[0]]
    for name in header:
        if name not in CSV_COLUMNS:
            problems.add("catalogue.csv row 1", f"unknown column “{name}”")
        elif header.count(name) > 1:
            problems.add("catalogue.csv row 1", f"column “{name}” appears more than once")
    for required in ("sku", "title"):
        if required not in header:
            problems.add("catalogue.csv row 1", f"required column “{required}” is missing")
    if problems:
        return manifest
    listed = sum(1 for row in rows[1:] if any(cell.strip() for cell in row))
    if too_many_products(listed, "catalogue.csv", problems):
        return None
    for index, row in enumerate(rows[1:]):
        number = index + 2  # the spreadsheet's row: the header is row 1
        if not any(cell.strip() for cell in row):
            continue
        where = f"catalogue.csv row {number}"
        if len(row) != len(header):
            problems.add(where, f"{len(row)} cells for {len(header)} columns")
            continue
        cells = {name: cell for name, cell in zip(header, row, strict=True) if cell != ""}
        manifest.products.append(csv_product(cells, where, problems))
    return manifest


def csv_problem(error):
    if "field larger than field limit" in str(error):
        return f"a cell holds more than {csv.field_size_limit():,} characters, the most a cell may"
    return f"not readable CSV ({error})"


def csv_product(cells, where, problems):
    spec = ProductSpec(where, places={name: f"{where}, column {name}" for name in CSV_COLUMNS})
    place = spec.place
    for required in ("sku", "title"):
        if required not in cells:
            problems.add(place(required), f"required: every product has a {required}")
    if "sku" in cells:
        spec.sku = check_sku(cells["sku"], place("sku"), problems)
    if "title" in cells:
        spec.title = (
            text(cells["title"], place("title"), problems, low=1, trim=True, name="title") or ""
        )
    if "slug" in cells:
        spec.slug = check_slug(cells["slug"], place("slug"), problems)
    if "category" in cells:
        spec.category = text(
            cells["category"],
            place("category"),
            problems,
            low=1,
            high=100,
            trim=True,
            name="category",
        )
    if "summary" in cells:
        spec.summary = (
            text(cells["summary"], place("summary"), problems, high=1000, name="summary") or ""
        )
    if "price" in cells:
        spec.price = check_price(cells["price"], place("price"), problems)
    if "tags" in cells:
        spec.tags = check_tags(cells["tags"].split("|"), place("tags"), problems)
    if "hero_image" in cells and check_path(cells["hero_image"], place("hero_image"), problems):
        spec.hero = MediaRef("image", cells["hero_image"], place("hero_image"))
        if "hero_alt" in cells:
            spec.hero.alt = text(cells["hero_alt"], place("hero_alt"), problems, name="alt text")
    elif "hero_alt" in cells and "hero_image" not in cells:
        problems.add(place("hero_alt"), "hero_alt without a hero_image")
    if "gallery" in cells:
        items = cells["gallery"].split("|")
        if len(items) > 50:
            problems.add(place("gallery"), f"a gallery holds 1–50 images, not {len(items)}")
        refs = []
        for item in items:
            path, separator, alt = item.partition("::")
            if check_path(path, place("gallery"), problems):
                ref = MediaRef("image", path, place("gallery"), alt=alt if separator else None)
                if ref.alt is not None and len(ref.alt) > 255:
                    problems.add(place("gallery"), f"{path}: alt text over 255 characters")
                refs.append(ref)
        spec.body.append(Block("gallery", refs, place("gallery")))
    if "documents" in cells:
        items = cells["documents"].split("|")
        if len(items) > 50:
            problems.add(place("documents"), f"1–50 documents, not {len(items)}")
        refs = []
        for item in items:
            path, separator, title = item.partition("::")
            if check_path(path, place("documents"), problems):
                if separator and not 1 <= len(title) <= 255:
                    problems.add(place("documents"), f"{path}: a title is 1–255 characters")
                refs.append(
                    MediaRef(
                        "document",
                        path,
                        place("documents"),
                        title=title if separator and title else None,
                    )
                )
        spec.body.append(Block("documents", refs, place("documents")))
    if "live" in cells:
        if cells["live"] in ("true", "false"):
            spec.live = cells["live"] == "true"
        else:
            problems.add(place("live"), f"“{cells['live']}” is not true, false or empty")
    return spec


def parse_manifest(name, data, problems):
    return parse_json(data, problems) if name.endswith(".json") else parse_csv(data, problems)
