"""Render a PDF's first page and read its text, in a process of its own.

Run by cms/media/previews.py as `python -m cms.media.pdf_worker PDF OUT_DIR LIMITS_JSON`,
under CPU, memory and wall-time limits set by the parent: PDFium parses hostile input, and
whatever it does (a decompression bomb, a page tree of a million pages, a crash) ends here,
not in the task worker. Imports neither Django nor the project: the process starts fast and
sees no settings or secrets.

Writes the first page as `OUT_DIR/preview.jpg` and prints one JSON object on stdout:
`{"page_count": N, "text": "...", "width": W, "height": H}`, or `{"error": "..."}` for a PDF
that is refused (exit status 0 either way; anything else is a crash).
"""

import json
import math
import re
import sys
from pathlib import Path

# Names of the PDF objects that run scripts or actions when a reader opens a file. Such a file
# gets no preview: a datasheet has no business carrying them, and editors are told.
ACTIVE_CONTENT = re.compile(rb"/(JavaScript|JS|Launch|RichMedia)\b")


class Refused(Exception):
    """The PDF is refused (the message says why, for the media health report)."""


def first_page_size(page):
    width, height = page.get_size()
    if not (math.isfinite(width) and math.isfinite(height)) or width < 1 or height < 1:
        raise Refused(f"its first page has no usable size ({width:g} x {height:g} points)")
    return width, height


def render_scale(width, height, box_width, box_height):
    """The scale that fits a page of `width` x `height` points inside the pixel box."""
    return min(box_width / width, box_height / height)


def page_text(page, budget):
    text_page = page.get_textpage()
    try:
        # PDFium counts characters first: a page's text is read only up to what is left.
        count = min(text_page.count_chars(), budget)
        return text_page.get_text_range(0, count) if count > 0 else ""
    finally:
        text_page.close()


# C0 and C1 control characters (NUL among them: PostgreSQL refuses it in text).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_text(text):
    """Storable text: no lone surrogates (from broken UTF-16), no control characters, and
    whitespace collapsed (PDF line breaks and spacing carry no meaning here)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


def extract_text(pdf, limits):
    """The text of the first `text_pages` pages, at most `text_chars` characters."""
    parts, budget = [], limits["text_chars"]
    for index in range(min(len(pdf), limits["text_pages"])):
        if budget <= 0:
            break
        page = pdf[index]
        try:
            text = page_text(page, budget)
        finally:
            page.close()
        text = clean_text(text)
        parts.append(text)
        budget -= len(text) + 1
    return "\n".join(part for part in parts if part)[: limits["text_chars"]]


def process(pdf_path, out_dir, limits):
    import pypdfium2 as pdfium  # here: a failure to load PDFium is reported like any other

    data = Path(pdf_path).read_bytes()
    if ACTIVE_CONTENT.search(data):
        raise Refused("it holds JavaScript or other active content")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise Refused(f"PDFium cannot read it ({error})") from error
    try:
        if pdfium.raw.FPDFDoc_GetJavaScriptActionCount(pdf) > 0:
            raise Refused("it holds JavaScript or other active content")
        page_count = len(pdf)
        if page_count < 1:
            raise Refused("it has no pages")
        if page_count > limits["max_pages"]:
            raise Refused(f"it has {page_count} pages (the limit is {limits['max_pages']})")
        page = pdf[0]
        try:
            width, height = first_page_size(page)
            scale = render_scale(width, height, limits["box_width"], limits["box_height"])
            bitmap = page.render(scale=scale, may_draw_forms=False)
            picture = bitmap.to_pil().convert("RGB")
            bitmap.close()
        finally:
            page.close()
        picture.save(Path(out_dir) / "preview.jpg", "JPEG", quality=88, optimize=True)
        text = extract_text(pdf, limits)
    finally:
        pdf.close()
    return {
        "page_count": page_count,
        "text": text,
        "width": picture.width,
        "height": picture.height,
    }


def main(argv):
    pdf_path, out_dir, limits = argv[1], argv[2], json.loads(argv[3])
    try:
        result = process(pdf_path, out_dir, limits)
    except Refused as error:
        result = {"error": str(error)}
    except MemoryError:
        result = {"error": "it needs more memory than a preview may use"}
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
