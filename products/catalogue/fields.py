"""Field-level rules of a manifest value: strings, paths and media references.

Shared by manifest.py (products, library details) and block_converters.py (block values);
each check records a problem at its place and returns None (or a safe default) when the
value is invalid.
"""

from dataclasses import dataclass

from products.catalogue.bundle import path_problem

JSON_TYPES = {dict: "an object", list: "a list", bool: "true or false", type(None): "null"}


@dataclass
class MediaRef:
    kind: str  # "image" or "document"
    path: str
    where: str  # the place of the reference's file, for errors
    alt: str | None = None  # images: None when not given, "" for decorative
    title: str | None = None  # documents: a per-use title
    caption: str = ""  # image blocks
    focal_point: tuple | None = None  # format 1.1: (x, y, width, height) for this use only
    focal_point_where: str = ""  # its place, for errors


# Fields that only format 1.1 has (section 6): in a catalogue/1 manifest they are unknown keys.
V11_REFERENCE_KEYS = {"focal_point"}
V11_MEDIA_KEYS = {"focal_point", "licence", "source", "expires"}
FOCAL_POINT_KEYS = ("x", "y", "width", "height")


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


def unknown_keys(data, allowed, where, problems, *, newer=()):
    """Record every key of `data` not in `allowed`; a key of `newer` (a format 1.1 field in
    a catalogue/1 manifest) is named with the version that has it."""
    for key in data:
        if key not in allowed:
            name = clipped(key)
            message = f"unknown field “{name}”"
            if key in newer:
                message += " (a catalogue/1.1 field: declare “format”: “catalogue/1.1”)"
            problems.add(f"{where}.{name}" if where else name, message)


def focal_point(raw, where, problems):
    """A focal area `{"x", "y", "width", "height"}` (integers, original pixels, width and
    height at least 1) as a tuple, or None. Whether it lies inside the image is checked
    where the image is known (planner.py)."""
    if not isinstance(raw, dict):
        problems.add(where, "a focal point is an object with “x”, “y”, “width” and “height”")
        return None
    unknown_keys(raw, set(FOCAL_POINT_KEYS), where, problems)
    values = []
    for key in FOCAL_POINT_KEYS:
        value = raw.get(key)
        low = 1 if key in ("width", "height") else 0
        if key not in raw:
            problems.add(f"{where}.{key}", f"required: the focal point's {key}")
        elif type(value) is not int or value < low:
            given = str(value)[:20] if type(value) in (int, float) else shown(value)
            problems.add(f"{where}.{key}", f"{given} is not an integer of at least {low}")
        else:
            values.append(value)
    return tuple(values) if len(values) == 4 else None


def check_path(path, where, problems):
    problem = path_problem(path)
    if problem:
        problems.add(where, problem)
        return False
    return True


def json_list(raw, where, problems, low, high, what):
    if not isinstance(raw, list) or not low <= len(raw) <= high:
        problems.add(where, f"a list of {low}–{high} {what}")
        return []
    return raw


def json_image_ref(raw, where, problems, *, caption=False, version="1"):
    if isinstance(raw, str):
        return MediaRef("image", raw, where) if check_path(raw, where, problems) else None
    if not isinstance(raw, dict):
        problems.add(where, "an image reference is a path or an object with “file”")
        return None
    allowed = {"file", "alt", "caption"} if caption else {"file", "alt"}
    if version == "1.1":
        allowed |= V11_REFERENCE_KEYS
    unknown_keys(raw, allowed, where, problems, newer=V11_REFERENCE_KEYS)
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
    if "focal_point" in raw and version == "1.1":
        ref.focal_point_where = f"{where}.focal_point"
        ref.focal_point = focal_point(raw["focal_point"], ref.focal_point_where, problems)
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
