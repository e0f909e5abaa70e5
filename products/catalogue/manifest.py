"""Parsing a manifest (JSON or CSV) into product specs, checking every field's own rules.

Both formats give the same `Manifest`; each field, reference and block remembers its place
(`products[3].body[1].value[0].file`, `catalogue.csv row 5, column gallery`) for errors.
Block values are parsed by their converter (block_converters.py). Rules that need the whole
manifest or the site (unique SKUs, related SKUs, alt text, media content) are checked by
`planner.py`.
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug, validate_unicode_slug

from products.catalogue.block_converters import UnknownBlockType, converter
from products.catalogue.fields import (
    V11_MEDIA_KEYS,
    MediaRef,
    check_path,
    clipped,
    focal_point,
    json_image_ref,
    shown,
    text,
    unknown_keys,
)

FORMAT = "catalogue/1"
FORMAT_1_1 = "catalogue/1.1"  # optional fields only (format section 6)
VERSIONS = {FORMAT: "1", FORMAT_1_1: "1.1"}
SKU = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
EXPIRES = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
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
            yield from converter(block.type).references(block.value)


@dataclass
class Manifest:
    name: str
    products: list
    media: dict = field(default_factory=dict)  # path -> {"title", "alt", "credit", ...}
    media_places: dict = field(default_factory=dict)  # path -> place, for errors
    version: str = "1"  # "1" or "1.1" (a CSV manifest is always "1")


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
    declared = document.get("format")
    version = VERSIONS.get(declared) if isinstance(declared, str) else None
    if version is None:
        problems.add("format", f"must be the string “{FORMAT}” or “{FORMAT_1_1}”")
        version = "1"
    products = document.get("products")
    if not isinstance(products, list):
        problems.add("products", "required: a list of products (it may be empty)")
        products = []
    if too_many_products(len(products), "products", problems):
        return None
    manifest = Manifest("catalogue.json", [], version=version)
    for index, raw in enumerate(products):
        product = json_product(raw, f"products[{index}]", problems, version)
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
        allowed = {"title", "alt", "credit"} | (V11_MEDIA_KEYS if version == "1.1" else set())
        unknown_keys(details, allowed, place, problems, newer=V11_MEDIA_KEYS)
        limits = {"title": (1, 255), "alt": (1, 255), "credit": (0, 255), "licence": (0, 255)}
        entry = {}
        for key, (low, high) in limits.items():
            if key in details and key in allowed:
                value = text(
                    details[key], f"{place}.{key}", problems, low=low, high=high, name=key
                )
                if value is not None:
                    entry[key] = value
        if version == "1.1":
            entry.update(rights_details(details, place, problems))
        manifest.media[path] = entry
    return manifest


def rights_details(details, place, problems):
    """The format 1.1 library details other than the licence: focal point, source, expiry."""
    entry = {}
    if "focal_point" in details:
        value = focal_point(details["focal_point"], f"{place}.focal_point", problems)
        if value is not None:
            entry["focal_point"] = value
    if "source" in details:
        value = text(details["source"], f"{place}.source", problems, high=500, name="source")
        if value is not None and not source_problem(value):
            entry["source"] = value
        elif value is not None:
            problems.add(f"{place}.source", source_problem(value))
    if "expires" in details:
        value = details["expires"]
        if isinstance(value, str) and EXPIRES.match(value):
            try:
                entry["expires"] = date.fromisoformat(value)
            except ValueError:
                problems.add(f"{place}.expires", f"{shown(value)} is not a date that exists")
        else:
            problems.add(f"{place}.expires", f"{shown(value)} is not a date as YYYY-MM-DD")
    return entry


def source_problem(value):
    """Why `value` is no http(s) URL, or None."""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return f"{shown(value)} is not an http(s) URL"
    return None


def json_product(raw, where, problems, version="1"):
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
        spec.hero = json_image_ref(
            raw["hero_image"], f"{where}.hero_image", problems, version=version
        )
        if spec.hero and spec.hero.alt == "":
            problems.add(
                f"{where}.hero_image.alt",
                "a hero image is never decorative: "
                "give alt text or leave “alt” out to use the library's",
            )
    if "body" in raw:
        spec.body = json_body(raw["body"], f"{where}.body", problems, version)
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


def json_body(raw, where, problems, version="1"):
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
        try:
            block = converter(kind)
        except UnknownBlockType as error:
            problems.add(f"{place}.type", str(error))
            continue
        if "value" not in item:
            problems.add(at, "required: the block's value")
            continue
        blocks.append(Block(kind, block.parse(value, at, problems, version=version), at))
    return blocks


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
