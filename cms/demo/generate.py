"""Images and PDFs generated in code, for demo content and tests: no binaries in the repo.

Output is deterministic: the same arguments give the same bytes, so content hashes are stable
and loading the demo twice finds the files it made the first time.
"""

import colorsys
import hashlib
import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFont

PIL_FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}


def _palette(label):
    """Two related colours derived from the label, so each image looks different."""
    hue = int(hashlib.sha1(label.encode()).hexdigest()[:4], 16) / 0xFFFF  # noqa: S324
    dark = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.55, 0.45))
    light = tuple(int(c * 255) for c in colorsys.hsv_to_rgb((hue + 0.08) % 1, 0.35, 0.92))
    return dark, light


def make_image(label, width, height, fmt="jpeg"):
    """A picture of `width` x `height` in `fmt` (jpeg, png, webp, gif), showing `label`."""
    dark, light = _palette(label)
    # A vertical gradient from the dark to the light colour.
    mask = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), light), Image.new("RGB", (width, height), dark), mask
    )
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    draw.ellipse(
        (width * 0.55, height * 0.2, width * 0.55 + unit * 0.5, height * 0.2 + unit * 0.5),
        fill=light,
        outline=(255, 255, 255),
        width=max(2, unit // 100),
    )
    draw.rectangle((width * 0.1, height * 0.6, width * 0.45, height * 0.85), fill=dark)
    font = ImageFont.load_default(size=max(12, unit // 12))
    draw.text((width * 0.08, height * 0.1), label, fill=(255, 255, 255), font=font)

    buffer = io.BytesIO()
    pil_format = PIL_FORMATS[fmt.lower()]
    options = {"quality": 85} if pil_format in ("JPEG", "WEBP") else {}
    if pil_format == "GIF":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
    image.save(buffer, pil_format, **options)
    return buffer.getvalue()


def _noise(rng, size, mode="L"):
    """Uniform random pixels from a seeded generator (Pillow's own noise is not seeded)."""
    bands = len(mode)
    return Image.frombytes(mode, size, rng.randbytes(size[0] * size[1] * bands))


def make_photo(label, width, height, fmt="jpeg", quality=90):
    """A photo-like picture: `make_image`'s scene under uneven light, with a surface texture
    at several scales and sensor grain. Flat shapes flatter every encoder and resampler;
    benchmarks and quality tests of renditions need detail at every scale, as in a photo.
    Deterministic per label and size."""
    rng = random.Random(f"{label} {width}x{height}")
    scene = Image.open(io.BytesIO(make_image(label, width, height, "png"))).convert("RGB")
    # Light: a few smooth colour blobs across the frame.
    light = _noise(rng, (6, 5), "RGB").resize((width, height), Image.Resampling.BICUBIC)
    picture = Image.blend(scene, light, 0.3)
    # Texture: noise octaves from coarse (1/128 of the width) to fine (4 pixels), of about
    # equal strength, as in the falling spectrum of natural scenes.
    texture = Image.new("L", (width, height), 128)
    for divisor, weight in ((128, 0.6), (32, 0.45), (8, 0.4), (2, 0.3)):
        octave = _noise(rng, (max(1, width // divisor), max(1, height // divisor)))
        octave = octave.resize((width, height), Image.Resampling.BICUBIC)
        texture = Image.blend(texture, octave, weight)
    texture = Image.blend(Image.new("L", (width, height), 128), texture, 0.6)
    picture = ImageChops.overlay(picture, Image.merge("RGB", [texture] * 3))
    # Grain: a little noise per pixel and channel.
    picture = Image.blend(picture, _noise(rng, (width, height), "RGB"), 0.03)

    buffer = io.BytesIO()
    pil_format = PIL_FORMATS[fmt.lower()]
    options = {"quality": quality} if pil_format in ("JPEG", "WEBP") else {}
    picture.save(buffer, pil_format, **options)
    return buffer.getvalue()


def _pdf_text(text):
    """Escape text for a PDF string literal (Latin-1 only: the built-in Helvetica font)."""
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _text_ops(title, lines, top=770):
    ops = ["BT", "/F1 20 Tf", f"72 {top} Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf", "0 -32 Td"]
    for line in lines:
        ops += [f"({_pdf_text(line)}) Tj", "0 -16 Td"]
    ops.append("ET")
    return ops


def _stream(data, **entries):
    """A PDF stream object with its /Length (and any other dictionary entries)."""
    extra = "".join(f" /{key} {value}" for key, value in entries.items())
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra.encode(), data)


def pdf_file(objects, root=1):
    """A PDF of these object bodies (numbered from 1), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref_at,
    )
    return bytes(out)


def make_pdf(title, lines=()):
    """A valid one-page A4 PDF with a title and lines of text."""
    return make_pdf_pages([(title, lines)])


def make_pdf_pages(pages, photos=()):
    """A valid A4 PDF of several pages, each `(title, lines)`; `photos` are JPEG bytes drawn
    on the pages in turn (on the lower half of the page), as in a photo-heavy datasheet."""
    # Objects: 1 catalog, 2 page tree, 3 font, then per page: page, contents[, image].
    objects = [None, None, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for index, (title, lines) in enumerate(pages):
        ops = _text_ops(title, lines)
        resources = "/Font << /F1 3 0 R >>"
        photo = photos[index % len(photos)] if photos else None
        page_number = len(objects) + 1
        if photo is not None:
            width, height = Image.open(io.BytesIO(photo)).size
            image_number = page_number + 2
            resources += f" /XObject << /Im1 {image_number} 0 R >>"
            ops = ["q", "451 0 0 338 72 72 cm", "/Im1 Do", "Q", *ops]
        page = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << {resources} >> /Contents {page_number + 1} 0 R >>"
        )
        objects += [page.encode(), _stream("\n".join(ops).encode("latin-1"))]
        if photo is not None:
            objects.append(
                _stream(
                    photo,
                    Type="/XObject",
                    Subtype="/Image",
                    Width=width,
                    Height=height,
                    ColorSpace="/DeviceRGB",
                    BitsPerComponent=8,
                    Filter="/DCTDecode",
                )
            )
        kids.append(f"{page_number} 0 R")
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    return pdf_file(objects)
