"""Photo-like JPEGs and WebPs carrying XMP, IPTC and EXIF, made in code with Pillow (which
writes EXIF and XMP itself; the IPTC block is assembled here, as cameras and DAMs write it:
an APP13 "Photoshop 3.0" segment holding an IPTC-NAA resource)."""

import io

from PIL import Image

from cms.demo.generate import make_image


def photo(label="Oak chair", size=(320, 240)):
    """A picture with noise and texture, as an RGB Pillow image."""
    base = Image.open(io.BytesIO(make_image(label, *size, "png"))).convert("RGB")
    noise = Image.effect_noise(size, 40).convert("RGB")
    return Image.blend(base, noise, 0.25)


def xmp_packet(creator="", rights="", description="", headline=""):
    headline_attr = f' photoshop:Headline="{headline}"' if headline else ""
    parts = []
    if creator:
        parts.append(f"<dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>")
    for name, text in (("rights", rights), ("description", description)):
        if text:
            parts.append(
                f'<dc:{name}><rdf:Alt><rdf:li xml:lang="x-default">{text}</rdf:li>'
                f"</rdf:Alt></dc:{name}>"
            )
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"{headline_attr}>'
        f"{''.join(parts)}</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


def exif_block(artist="", copyright="", description=""):
    exif = Image.Exif()
    for tag, value in ((0x013B, artist), (0x8298, copyright), (0x010E, description)):
        if value:
            exif[tag] = value
    return exif


def iptc_segment(byline="", copyright="", caption="", headline="", raw=None):
    """An APP13 segment with IPTC datasets 2:80, 2:116, 2:120, 2:105 (or `raw` bytes)."""
    datasets = raw
    if datasets is None:
        datasets = b"".join(
            b"\x1c\x02" + bytes([number]) + len(value).to_bytes(2, "big") + value
            for number, text in ((80, byline), (116, copyright), (120, caption), (105, headline))
            if text
            for value in [text.encode()]
        )
    if len(datasets) % 2:
        datasets += b"\0"
    resource = b"8BIM\x04\x04\0\0" + len(datasets).to_bytes(4, "big") + datasets
    payload = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + (len(payload) + 2).to_bytes(2, "big") + payload


def jpeg_with(xmp=None, exif=None, iptc=None, label="Oak chair"):
    """JPEG bytes of a photo with the given XMP packet, EXIF and APP13 IPTC segment."""
    buffer = io.BytesIO()
    options = {"quality": 85}
    if xmp is not None:
        options["xmp"] = xmp
    if exif is not None:
        options["exif"] = exif
    photo(label).save(buffer, "JPEG", **options)
    data = buffer.getvalue()
    return data[:2] + iptc + data[2:] if iptc else data


def webp_with(xmp=None, exif=None, label="Oak chair"):
    buffer = io.BytesIO()
    options = {"quality": 80}
    if xmp is not None:
        options["xmp"] = xmp
    if exif is not None:
        options["exif"] = exif
    photo(label).save(buffer, "WEBP", **options)
    return buffer.getvalue()
