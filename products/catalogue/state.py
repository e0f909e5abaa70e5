"""A product's content as plain data, to tell whether an import would change anything."""

import json
from collections import defaultdict

from django.db.models import TextField
from django.db.models.functions import Cast

from products.models import ProductCategory, ProductPage, ProductPageTag, ProductRelatedProduct

# The page columns a plan reads: what an import sets, and what the writer checks has not moved.
PAGE_COLUMNS = (
    "pk",
    "sku",
    "title",
    "slug",
    "summary",
    "price",
    "category_id",
    "hero_image_id",
    "hero_alt",
    "hero_focal_point",
    "body_json",
    "live",
    "has_unpublished_changes",
    "latest_revision_id",
    "last_published_at",
    "locked",
)


def plain(value):
    """StreamField raw data without block ids, list items unwrapped."""
    if isinstance(value, list):
        return [plain(item["value"]) if is_list_item(item) else plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if key != "id"}
    return value


def is_list_item(item):
    return isinstance(item, dict) and item.get("type") == "item" and "value" in item


def body_state(raw_blocks):
    return [{"type": block["type"], "value": plain(block["value"])} for block in raw_blocks]


def stored_products(skus):
    """The product pages with these SKUs as rows (dicts of PAGE_COLUMNS), each with `state`:
    what an import sets on the page, comparable with the planner's desired state. Read as
    rows, with tags, links and category names one query each: building page objects and
    their prefetches was most of the time of re-planning an unchanged bundle."""
    # The body as its JSON text: StreamField builds a JSONField for every value it loads
    # (wagtail/fields.py, `json_field`), which was a third of reading a thousand pages.
    pages = ProductPage.objects.filter(sku__in=skus).annotate(body_json=Cast("body", TextField()))
    rows = list(pages.values(*PAGE_COLUMNS))
    ids = [row["pk"] for row in rows]
    tags, related = defaultdict(list), defaultdict(list)
    for page_id, name in ProductPageTag.objects.filter(content_object_id__in=ids).values_list(
        "content_object_id", "tag__name"
    ):
        tags[page_id].append(name)
    links = ProductRelatedProduct.objects.filter(page_id__in=ids).order_by("page_id", "sort_order")
    for page_id, sku in links.values_list("page_id", "product__sku"):
        related[page_id].append(sku)
    category_ids = {row["category_id"] for row in rows} - {None}
    categories = ProductCategory.objects.filter(pk__in=category_ids)
    names = dict(categories.values_list("pk", "name"))
    for row in rows:
        category = names.get(row["category_id"])
        row["state"] = {
            "title": row["title"],
            "slug": row["slug"],
            "summary": row["summary"],
            "price": row["price"],
            "category": category.strip().casefold() if category is not None else None,
            "tags": sorted(tags[row["pk"]]),
            "hero_image": row["hero_image_id"],
            "hero_alt": row["hero_alt"],
            "hero_focal_point": row["hero_focal_point"],
            "body": body_state(json.loads(row["body_json"])),
            "related": related[row["pk"]],
            # A live page with a newer draft does not match: the import publishes over it.
            "live": row["live"] if not row["has_unpublished_changes"] or not row["live"] else None,
        }
    return rows
