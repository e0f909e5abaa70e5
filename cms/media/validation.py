"""The one validation path for media entering the library.

Admin uploads (single, multiple, chooser), the catalogue import and code that saves an image
or document all call `validate_image` / `validate_document` (through the upload forms in
`forms.py` and the models' `save()`). Every rejection is a ValidationError that names the file
and the rule it broke.

Images: JPEG, PNG, GIF (animated too), WebP, AVIF. SVG is refused: it is a document that can
carry scripts, and serving it safely needs a sanitiser we do not have. HEIC is refused:
browsers cannot show it and Pillow reads it only through an extra native plugin.
"""

import io
import posixpath
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageSequence, UnidentifiedImageError

# Extension -> the format Pillow must find in the file.
IMAGE_FORMATS = {
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WEBP",
    "avif": "AVIF",
}
DOCUMENT_EXTENSIONS = ("pdf", "docx", "xlsx", "pptx", "odt", "csv", "txt", "zip")

# Markup that makes a file a polyglot: a browser sniffing it could run it as a page.
MARKUP = re.compile(
    rb"<\s*(script|html|body|iframe|svg|object|embed)\b|<\?php|<!doctype\s+html|javascript:",
    re.IGNORECASE,
)
# The same markup, for a fast first pass over the lower-cased bytes: every branch starts with
# "<" (a literal the regex engine jumps to), and "javascript:" is a plain find. MARKUP itself,
# case-insensitive with a branch that starts with a letter, tries every byte of the file: 15x
# slower on a photo, which every import and upload checks.
MARKUP_TAGS = re.compile(
    rb"<(?:\s*(?:script|html|body|iframe|svg|object|embed)\b|\?php|!doctype\s+html)"
)
MAX_FILENAME_LENGTH = 100


class CheckedContentFile(ContentFile):
    """Content that already passed `validate_image` or `validate_document` (an importer checks
    every file before writing any): the models' save() does not decode it a second time."""

    def __init__(self, content, name, checked_as):
        super().__init__(content, name=name)
        self.checked_as = checked_as


def read_limit(kind):
    """How many bytes of a file are worth reading: one more than the upload limit."""
    name = "WAGTAILIMAGES_MAX_UPLOAD_SIZE" if kind == "image" else "WAGTAILDOCS_MAX_UPLOAD_SIZE"
    return setting(name, 10 * 1024 * 1024)


@dataclass(frozen=True)
class ImageInfo:
    format: str  # Pillow's name: JPEG, PNG, ...
    width: int
    height: int
    frames: int


def setting(name, default):
    return getattr(settings, name, default)


def reject(filename, message, code):
    raise ValidationError(f"{filename}: {message}", code=code)


def clean_filename(name):
    """A safe file name to store: the last path segment, NFC, no control characters, no
    inner dots (so `x.php.jpg` cannot be run as PHP), at most 100 characters."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = stem.replace(".", "_").strip(" _") or "file"
    extension = extension.lower()
    stem = stem[: MAX_FILENAME_LENGTH - len(extension) - 1]
    return f"{stem}.{extension}" if extension else stem


def extension_of(filename):
    return posixpath.splitext(str(filename))[1].lower().lstrip(".")


def read_content(file):
    """The file's bytes, reading from the start, leaving the file where it was."""
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    position = file.tell() if hasattr(file, "tell") else None
    file.seek(0)
    content = file.read()
    if position is not None:
        file.seek(position)
    return content


def check_extension(filename, kind, known, setting_name):
    """The file's extension, if it is one we check and the site allows; else reject."""
    extension = extension_of(filename)
    allowed = [e for e in known if e in setting(setting_name, list(known))]
    if extension not in allowed:
        reject(
            filename,
            f"“.{extension}” is not an accepted {kind} type (accepted: {', '.join(allowed)})",
            "invalid_extension",
        )
    return extension


def check_name(filename):
    """The name as it will be stored must fit in MEDIA_MAX_FILENAME_BYTES of UTF-8: disks count
    bytes (255), not characters, and 100 four-byte characters are 400 bytes."""
    limit = setting("MEDIA_MAX_FILENAME_BYTES", 200)
    size = len(clean_filename(filename).encode("utf-8", "surrogatepass"))
    if size > limit:
        reject(
            filename,
            f"the file name is {size} bytes long in UTF-8; the limit is {limit} bytes: "
            "rename the file with a shorter name",
            "name_too_long",
        )


def check_size(filename, content, limit):
    if not content:
        reject(filename, "the file is empty", "empty")
    if len(content) > limit:
        reject(
            filename,
            f"the file is {filesizeformat(len(content))}; the limit is {filesizeformat(limit)}",
            "file_too_large",
        )


def markup_in(content):
    """The first markup MARKUP finds in `content`, or None (found faster: MARKUP_TAGS)."""
    lowered = content.lower()  # ASCII only, as re.IGNORECASE on bytes
    tag = MARKUP_TAGS.search(lowered)
    script = lowered.find(b"javascript:")
    starts = [start for start in (tag.start() if tag else -1, script) if start >= 0]
    # From the earliest start, MARKUP matches what it would have found scanning from 0.
    return MARKUP.search(content, min(starts)) if starts else None


def check_no_markup(filename, content):
    match = markup_in(content)
    if match:
        reject(
            filename,
            f"the file contains markup ({match.group(0)[:20].decode('latin-1')!r}) that a "
            "browser could run: refused as a possible polyglot",
            "markup",
        )


def validate_image(file, filename):
    """Check an image file; return what was found. Raises ValidationError."""
    content = read_content(file)
    extension = check_extension(filename, "image", IMAGE_FORMATS, "WAGTAILIMAGES_EXTENSIONS")
    check_name(filename)
    check_size(filename, content, setting("WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * 1024 * 1024))
    check_no_markup(filename, content)

    max_pixels = setting("WAGTAILIMAGES_MAX_IMAGE_PIXELS", 128_000_000)
    max_frames = setting("MEDIA_MAX_FRAMES", 500)
    try:
        # Opening reads the header only: size and frame count are known before any decode.
        with warnings.catch_warnings(), Image.open(io.BytesIO(content)) as image:
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below
            found = image.format
            if found != IMAGE_FORMATS[extension]:
                reject(
                    filename,
                    f"the file is {found or 'not an image'}, not the "
                    f"{IMAGE_FORMATS[extension]} its extension says",
                    "format_mismatch",
                )
            width, height = image.size
            if width < 1 or height < 1:
                reject(filename, f"the image has no pixels ({width}x{height})", "empty_image")
            frames = getattr(image, "n_frames", 1)
            if frames > max_frames:
                reject(
                    filename,
                    f"the animation has {frames} frames; the limit is {max_frames}",
                    "too_many_frames",
                )
            if width * height * frames > max_pixels:
                reject(
                    filename,
                    f"{width}x{height} pixels"
                    + (f" x {frames} frames" if frames > 1 else "")
                    + f" is more than the limit of {max_pixels:,} pixels",
                    "too_many_pixels",
                )
            # Decode every frame: a truncated or corrupt file fails here, not in a rendition.
            for frame in ImageSequence.Iterator(image):
                frame.load()
    except ValidationError:
        raise
    except UnidentifiedImageError:
        reject(filename, "not a valid image (no image format Pillow reads)", "invalid_image")
    except Image.DecompressionBombError:
        # Pillow's own guard (twice the limit) fires inside open(), before our check.
        reject(
            filename,
            f"the image is more than the limit of {max_pixels:,} pixels",
            "too_many_pixels",
        )
    except Exception as error:  # noqa: BLE001 - Pillow raises many types for bad input
        reject(filename, f"not a valid image ({describe(error)})", "invalid_image")

    if found in ("PNG", "GIF") and trailing_bytes(found, content):
        reject(filename, "the file has data after the end of the image", "trailing_data")
    return ImageInfo(found, width, height, frames)


def describe(error):
    text = str(error).strip() or type(error).__name__
    return text[:200]


def trailing_bytes(image_format, content):
    """Bytes after a PNG's IEND chunk or a GIF's trailer."""
    if image_format == "PNG":
        end = content.rfind(b"IEND")
        return end == -1 or len(content) > end + 8  # 4 bytes of type, 4 of CRC
    end = content.rstrip(b"\x00").rfind(b"\x3b")  # GIF trailer
    return end == -1 or len(content.rstrip(b"\x00")) > end + 1


# Documents


OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def validate_document(file, filename):
    """Check a document: an allowed extension and content that really is of that type."""
    content = read_content(file)
    extension = check_extension(
        filename, "document", DOCUMENT_EXTENSIONS, "WAGTAILDOCS_EXTENSIONS"
    )
    check_name(filename)
    check_size(filename, content, setting("WAGTAILDOCS_MAX_UPLOAD_SIZE", 10 * 1024 * 1024))

    if extension == "pdf":
        if not content.lstrip(b"\r\n\t ").startswith(b"%PDF-"):
            reject(filename, "not a PDF (no “%PDF-” header)", "format_mismatch")
        if b"%%EOF" not in content[-2048:]:
            reject(filename, "not a complete PDF (no end-of-file marker)", "truncated")
    elif extension in ("csv", "txt"):
        if b"\x00" in content:
            reject(filename, "not a text file (it holds binary data)", "format_mismatch")
        try:
            content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            reject(filename, f"not UTF-8 text (byte {error.start})", "format_mismatch")
        check_no_markup(filename, content)
    else:
        names = check_zip(filename, content)
        if extension in OOXML_FOLDERS and not (
            "[Content_Types].xml" in names
            and any(n.startswith(OOXML_FOLDERS[extension]) for n in names)
        ):
            reject(
                filename, f"not a {extension.upper()} file (no Office parts)", "format_mismatch"
            )
        if extension == "odt":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "mimetype" not in names or archive.read("mimetype").strip() != ODT_MIMETYPE:
                    reject(filename, "not an ODT file (wrong mimetype entry)", "format_mismatch")


def check_zip(filename, content):
    """A well-formed zip whose entries stay inside it and do not inflate past the limits: a
    total size (MEDIA_MAX_ZIP_INFLATED_SIZE) and a ratio to the file's own size
    (MEDIA_MAX_ZIP_RATIO), checked from the directory first, then while really inflating."""
    max_inflated = setting("MEDIA_MAX_ZIP_INFLATED_SIZE", 200 * 1024 * 1024)
    max_entries = setting("MEDIA_MAX_ZIP_ENTRIES", 10_000)
    max_ratio = setting("MEDIA_MAX_ZIP_RATIO", 100)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception as error:  # noqa: BLE001 - a mangled directory raises many types
        reject(filename, f"not a valid zip archive ({describe(error)})", "format_mismatch")
    with archive:
        entries = archive.infolist()
        if len(entries) > max_entries:
            reject(
                filename,
                f"the archive has {len(entries)} entries; the limit is {max_entries}",
                "too_many_entries",
            )
        for entry in entries:
            check_entry(filename, entry)
        declared = sum(entry.file_size for entry in entries)
        check_inflated(filename, declared, len(content), max_inflated, max_ratio)
        # Inflate for real, with a running cap: the sizes an archive declares can lie.
        cap = min(max_inflated, max_ratio * len(content))
        try:
            inflated = inflate_all(archive, entries, cap)
        except Exception as error:  # noqa: BLE001 - zipfile and zlib raise many types
            reject(filename, f"a damaged zip archive ({describe(error)})", "format_mismatch")
        check_inflated(filename, inflated, len(content), max_inflated, max_ratio, more=True)
        return {entry.filename for entry in entries}


# Deflate and store are what Office, LibreOffice and zip tools write. bzip2 and LZMA are
# inflated a whole chunk at a time by zipfile, so a running cap could not bound them.
ZIP_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


def check_entry(filename, entry):
    parts = entry.filename.replace("\\", "/").split("/")
    if entry.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        reject(
            filename, f"the archive entry {entry.filename!r} leaves the archive", "unsafe_entry"
        )
    if entry.flag_bits & 0x1:
        reject(
            filename,
            f"the archive entry {entry.filename!r} is encrypted: its content cannot be checked",
            "encrypted",
        )
    if entry.compress_type not in ZIP_COMPRESSIONS:
        method = zipfile.compressor_names.get(entry.compress_type, entry.compress_type)
        reject(
            filename,
            f"the archive entry {entry.filename!r} is compressed with “{method}”; only "
            "deflate and no compression are accepted",
            "format_mismatch",
        )


def check_inflated(filename, inflated, size, max_inflated, max_ratio, *, more=False):
    """Refuse an archive inflating past the size limit or past `max_ratio` times `size`."""
    figure = f"at least {filesizeformat(inflated)}" if more else filesizeformat(inflated)
    if inflated > max_ratio * size:
        reject(
            filename,
            f"the archive inflates to {figure} from {filesizeformat(size)}, more than "
            f"{max_ratio} times its size: refused as a possible zip bomb",
            "zip_bomb",
        )
    if inflated > max_inflated:
        reject(
            filename,
            f"the archive inflates to {figure}; the limit is {filesizeformat(max_inflated)}",
            "zip_bomb",
        )


def inflate_all(archive, entries, cap):
    """Bytes the entries inflate to, stopping as soon as the total passes `cap`."""
    inflated = 0
    for entry in entries:
        with archive.open(entry) as member:
            while chunk := member.read(1024 * 1024):
                inflated += len(chunk)
                if inflated > cap:
                    return inflated
    return inflated
