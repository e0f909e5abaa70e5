"""The fast markup scan (cms/media/validation.markup_in) finds exactly what the plain
case-insensitive MARKUP search finds: the same text at the same place, or nothing."""

import random

import pytest

from cms.demo.generate import make_photo
from cms.media.validation import MARKUP, markup_in

SNIPPETS = [
    b"<script>",
    b"< SCRIPT src=x>",
    b"<\tiFrame",
    b"<svgx",  # no word boundary: not markup
    b"<svg/onload=1>",
    b"<?PHP echo 1; ?>",
    b"<!DocType  HTML>",
    b"<!doctype xml>",
    b"JavaScript:alert(1)",
    b"javascript",
    b"<object",
    b"<embed>",
    b"<<body",
    b"<html",
]


def same(content):
    expected, found = MARKUP.search(content), markup_in(content)
    assert (found and (found.span(), found.group(0))) == (
        expected and (expected.span(), expected.group(0))
    )


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_each_snippet_alone_and_inside_a_photo(snippet):
    photo = make_photo("Markup", 120, 90)
    same(snippet)
    same(photo[:500] + snippet + photo[500:])
    same(photo + snippet)


def test_random_mixtures_agree_with_the_plain_search():
    rng = random.Random(13)
    for _ in range(2000):
        parts = [rng.randbytes(rng.randint(0, 40)) for _ in range(3)]
        picks = rng.sample(SNIPPETS, rng.randint(0, 3))
        content = b"".join(p + s for p, s in zip(parts, picks + [b""] * 3, strict=False))
        same(content)


def test_a_clean_photo_has_none():
    assert markup_in(make_photo("Clean", 400, 300)) is None
