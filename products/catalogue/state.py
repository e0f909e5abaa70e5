"""A product's content as plain data, to tell whether an import would change anything."""


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


def product_state(page):
    """What an import sets on a product page, read from the page (prefetched relations)."""
    return {
        "title": page.title,
        "slug": page.slug,
        "summary": page.summary,
        "price": page.price,
        "category": page.category.name.strip().casefold() if page.category else None,
        "tags": sorted(item.tag.name for item in page.tagged_items.all()),
        "hero_image": page.hero_image_id,
        "hero_alt": page.hero_alt,
        "body": body_state(page.body.get_prep_value()),
        "related": [link.product.sku for link in page.related_products.all()],
        # A live page with a newer draft does not match: the import publishes over it.
        "live": page.live if not page.has_unpublished_changes or not page.live else None,
    }
