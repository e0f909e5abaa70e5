"""Hostile and awkward files, generated in code: each case is (file name, bytes, expected),
where expected is "accept" or the ValidationError code the upload check must give."""

import functools
import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.demo.generate import make_image, make_pdf, pdf_file


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def marked_picture(size=(120, 60)):
    """A wide picture, red on its left half: shows which way up a rendition is."""
    image = Image.new("RGB", size, (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2, size[1]), fill=(255, 0, 0))
    return image


def jpeg_with_exif(orientation=1, gps=False):
    image = marked_picture()
    exif = image.getexif()
    exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    return encode(image, "JPEG", exif=exif.tobytes(), quality=90)


def png_chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_with_header(width, height, idat=b""):
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


@functools.cache
def png_pixel_bomb(side=12_000):
    """A real side x side RGB PNG of zeros: about 420 KB that would decode to 432 MB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + side * 3)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return png_with_header(side, side, idat)


def png_text_bomb():
    """A valid PNG whose zTXt chunk decompresses to 100 MB (Pillow's limit is 1 MB)."""
    base = encode(Image.new("RGB", (8, 8)), "PNG")
    bomb = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 100_000_000, 9))
    return base[:33] + bomb + base[33:]  # right after IHDR


def many_frame_gif(frames):
    images = [Image.new("P", (4, 4), n % 256) for n in range(frames)]
    for n, image in enumerate(images):
        image.putpalette([n % 256, 0, 255 - n % 256] * 256)
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=20)


def animated_webp():
    frames = [Image.new("RGB", (32, 32), color) for color in ("red", "green", "blue")]
    return encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def docx():
    return zip_bytes([("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")])


def xlsx():
    return zip_bytes([("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")])


def pptx():
    return zip_bytes([("[Content_Types].xml", "<Types/>"), ("ppt/presentation.xml", "<p/>")])


def odt():
    return zip_bytes(
        [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<office/>")],
        compression=zipfile.ZIP_STORED,
    )


def zip_with_entry_name(name):
    """zipfile cleans names on write, so the hostile name is patched in afterwards."""
    safe = "a" * len(name.encode())
    return zip_bytes([(safe, "x")]).replace(safe.encode(), name.encode())


JPEG = make_image("Photo", 64, 48, "jpeg")


def upload_lamp_through_admin(admin_client, capture_on_commit_callbacks):
    """A JPEG titled "Lamp" uploaded with the admin's add form, its upload task run."""
    with capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/images/add/",
            {
                "title": "Lamp",
                "file": SimpleUploadedFile("lamp.jpg", JPEG),
                "collection": Collection.get_first_root_node().pk,
                "description": "A lamp",
            },
        )
    assert response.status_code == 302
    return get_image_model().objects.get(title="Lamp")


PNG = make_image("Photo", 64, 48, "png")
GIF = make_image("Photo", 64, 48, "gif")
EXE = b"MZ\x90\x00\x03" + b"\x00" * 60 + b"This program cannot be run in DOS mode." + b"\x00" * 200


def image_cases():
    rgb = Image.new("RGB", (40, 30), (200, 120, 40))
    return [
        # Accepted: every format, colour mode and shape an editor may bring.
        ("photo.jpg", JPEG, "accept"),
        ("photo.jpeg", JPEG, "accept"),
        ("graphic.png", PNG, "accept"),
        ("still.gif", GIF, "accept"),
        ("photo.webp", make_image("Photo", 64, 48, "webp"), "accept"),
        ("photo.avif", encode(rgb, "AVIF"), "accept"),
        ("progressive.jpg", encode(rgb, "JPEG", progressive=True), "accept"),
        ("cmyk.jpg", encode(Image.new("CMYK", (40, 30), (0, 200, 200, 0)), "JPEG"), "accept"),
        ("deep.png", encode(Image.new("I;16", (40, 30), 40000), "PNG"), "accept"),
        ("palette.png", encode(rgb.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"), "accept"),
        ("animated.gif", many_frame_gif(5), "accept"),
        ("animated.webp", animated_webp(), "accept"),
        ("rotated.jpg", jpeg_with_exif(orientation=6), "accept"),
        ("located.jpg", jpeg_with_exif(gps=True), "accept"),
        ("x.php.jpg", JPEG, "accept"),
        # Refused.
        ("empty.jpg", b"", "empty"),
        ("truncated.jpg", JPEG[: len(JPEG) // 2], "invalid_image"),
        ("truncated.png", PNG[: len(PNG) // 2], "invalid_image"),
        ("text-bomb.png", png_text_bomb(), "invalid_image"),
        ("no-width.png", png_with_header(0, 10), "invalid_image"),
        ("pixel-bomb.png", png_pixel_bomb(), "too_many_pixels"),
        ("frames.gif", many_frame_gif(1000), "too_many_frames"),
        ("html-after.gif", GIF + b"<html><script>alert(1)</script></html>", "markup"),
        ("junk-after.png", PNG + b"\x00\x01\x02 trailing", "trailing_data"),
        (
            "polyglot.jpg",
            JPEG[:2] + b"\xff\xfe\x00\x1e<script>alert(1)</script>..." + JPEG[2:],
            "markup",
        ),
        ("page.jpg", b"<!DOCTYPE html><html><body>hi</body></html>", "markup"),
        ("notes.jpg", b"just some text, not an image at all", "invalid_image"),
        ("png-really.jpg", PNG, "format_mismatch"),
        ("jpeg-really.png", JPEG, "format_mismatch"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "invalid_extension"),
        ("phone.heic", b"\x00\x00\x00\x18ftypheic", "invalid_extension"),
        ("program.exe", EXE, "invalid_extension"),
    ]


def document_cases():
    pdf = make_pdf("Manual", ["Step 1"])
    return [
        ("manual.pdf", pdf, "accept"),
        ("report.docx", docx(), "accept"),
        ("prices.xlsx", xlsx(), "accept"),
        ("slides.pptx", pptx(), "accept"),
        ("letter.odt", odt(), "accept"),
        ("prices.csv", "sku,price\nCH-1,129.00\nCafé,1\n".encode(), "accept"),
        ("readme.txt", b"Plain text.\n", "accept"),
        ("bundle.zip", zip_bytes([("a.txt", "a"), ("sub/b.txt", "b")]), "accept"),
        ("empty.pdf", b"", "empty"),
        ("program.pdf", EXE, "format_mismatch"),
        ("image.pdf", PNG, "format_mismatch"),
        ("cut.pdf", pdf[: len(pdf) // 2], "truncated"),
        ("fake.docx", b"PK not really a zip", "format_mismatch"),
        ("plain.docx", zip_bytes([("hello.txt", "hi")]), "format_mismatch"),
        ("wrong.odt", zip_bytes([("mimetype", "application/zip")]), "format_mismatch"),
        ("program.zip", EXE, "format_mismatch"),
        ("escape.zip", zip_with_entry_name("../../evil.sh"), "unsafe_entry"),
        ("absolute.zip", zip_with_entry_name("/etc/cron.d/x"), "unsafe_entry"),
        ("bomb.zip", zip_bytes([("zeros.bin", b"\x00" * 30_000_000)]), "zip_bomb"),
        ("binary.txt", b"text\x00with NUL", "format_mismatch"),
        ("latin1.csv", "café".encode("latin-1"), "format_mismatch"),
        ("page.txt", b"<html><script>alert(1)</script></html>", "markup"),
        ("page.html", b"<html></html>", "invalid_extension"),
        ("program.exe", EXE, "invalid_extension"),
    ]


HOSTILE_NAMES = [
    ("../../etc/passwd.jpg", "passwd.jpg"),
    ("C:\\Windows\\photo.jpg", "photo.jpg"),
    ("nul\x00byte.jpg", "nulbyte.jpg"),
    ("tab\tand\nnewline.jpg", "tabandnewline.jpg"),
    ("x" * 300 + ".jpg", "x" * 96 + ".jpg"),
    ("cafe\u0301.jpg", "caf\u00e9.jpg"),  # NFD in, NFC out
    ("x.php.jpg", "x_php.jpg"),
    (".hidden.jpg", "hidden.jpg"),
]


# Hostile PDFs: each passes the upload check (a header and an end-of-file marker) and must end
# with no preview and a reason (cms/media/previews.py), without harming the task's process.
# (name, bytes, words the reason holds)


def pdf_with_catalog(extra, objects=()):
    """A one-page PDF whose catalog carries `extra` entries (and more objects after 5)."""
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
    )
    stream = b"BT /F1 20 Tf 72 770 Td (Hello) Tj ET"
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + extra + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
            *objects,
        ]
    )


def pdf_with_javascript():
    return pdf_with_catalog(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>")


def pdf_with_named_javascript():
    """Document-level JavaScript in the names tree, its keys hex-encoded (no "/JavaScript"
    or "/JS" in the bytes for a scan to find): PDFium counts it."""
    return pdf_with_catalog(
        b"/Names << /#4a#61#76#61#53#63#72#69#70#74 6 0 R >>",
        [
            b"<< /Names [(run) 7 0 R] >>",
            b"<< /S /#4a#61#76#61#53#63#72#69#70#74 /#4a#53 (app.alert\\(1\\)) >>",
        ],
    )


def pdf_claiming_pages(count):
    """A page tree that claims `count` pages and holds one."""
    return make_pdf("Pages").replace(b"/Count 1", b"/Count %d" % count)


def pdf_with_many_pages(count):
    """A page tree of `count` real pages (distinct page objects sharing one content stream):
    about 100 bytes a page."""
    stream = b"BT /F1 20 Tf 72 770 Td (Page) Tj ET"
    pages = [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * count
    kids = b" ".join(b"%d 0 R" % (4 + n) for n in range(count))
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
            *pages,
        ]
    )


def pdf_with_broken_xref():
    """Cross-reference table, trailer and objects all garbage: nothing to repair from."""
    return b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R\nendobj\nxref\n0 1\nzzzz\n" + (
        b"trailer\n<< /Root 7 0 R >>\nstartxref\n999999\n%%EOF\n"
    )


def pdf_with_cyclic_page_tree():
    """A page tree whose node is its own child."""
    return make_pdf("Loop").replace(b"/Kids [3 0 R]", b"/Kids [2 0 R]")


@functools.cache
def pdf_content_bomb(inflated=768 * 1024 * 1024):
    """A page whose content stream is ~1 MB of Flate that inflates to `inflated` bytes of
    spaces (PDFium decodes a content stream whole, before drawing it)."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    data = b"".join(compressor.compress(chunk) for _ in range(inflated // len(chunk)))
    data += compressor.flush()
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data),
        ]
    )


@functools.cache
def pdf_image_bomb(side=40_000):
    """A page drawing one side x side RGB image whose Flate data inflates to 4.8 GB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side * 3)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>"
    )
    image = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (side, side, len(data), data)
    )
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            image,
        ]
    )


def hostile_pdf_cases():
    """PDFs that must get no preview: (name, bytes, words of the reason)."""
    return [
        ("javascript.pdf", pdf_with_javascript(), "JavaScript"),
        ("named-javascript.pdf", pdf_with_named_javascript(), "JavaScript"),
        ("many-pages.pdf", pdf_with_many_pages(6000), "6000 pages (the limit is 5000)"),
        ("broken-xref.pdf", pdf_with_broken_xref(), "PDFium cannot read it"),
        ("content-bomb.pdf", pdf_content_bomb(), "memory"),
    ]


def awkward_pdf_cases():
    """Malformed or oversized PDFs that PDFium reads safely (it repairs or ignores what is
    wrong, and draws a huge image at the page's scale): a preview, within the limits."""
    return [
        ("claims-pages.pdf", pdf_claiming_pages(100_000_000)),
        ("page-loop.pdf", pdf_with_cyclic_page_tree()),
        ("image-bomb.pdf", pdf_image_bomb()),
    ]


def pdf_cpu_burner(fills=300_000):
    """A 17 KB page that fills the whole page `fills` times: seconds of CPU for PDFium."""
    data = zlib.compress(b"0.5 g 0 0 595 842 re f\n" * fills, 9)
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data),
        ]
    )
