"""The re-encoding rule on images of every mode a photo or a graphic arrives in."""

from __future__ import annotations

import io

import pytest
from alot_platform.images.processing import (
    ImageTooManyPixels,
    UnsupportedImageType,
    process,
    rendition_size,
)
from PIL import Image, ImageCms

from tests.platform.images.helpers import assert_clean_webp

MAX = 40_000_000


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


@pytest.mark.parametrize(
    ("image", "fmt", "content_type", "alpha"),
    [
        (Image.new("CMYK", (600, 300), (0, 255, 255, 0)), "JPEG", "image/jpeg", False),
        (Image.new("L", (600, 300), 128), "JPEG", "image/jpeg", False),
        (Image.new("LA", (600, 300), (128, 0)), "PNG", "image/png", True),
        (Image.new("I;16", (600, 300), 4000), "PNG", "image/png", False),
        (Image.new("1", (600, 300), 1), "PNG", "image/png", False),
    ],
    ids=["cmyk-jpeg", "grey-jpeg", "grey-alpha-png", "16-bit-png", "1-bit-png"],
)
def test_every_mode_becomes_rgb_or_rgba_webp(
    image: Image.Image, fmt: str, content_type: str, alpha: bool
) -> None:
    result = process(_encode(image, fmt), content_type, max_pixels=MAX)
    assert (result.width, result.height) == (600, 300)
    card, page = result.renditions
    assert (card.name, card.width, card.height) == ("card", 480, 240)
    assert (page.name, page.width, page.height) == ("page", 600, 300)
    decoded = assert_clean_webp(page.data, size=(600, 300))
    assert decoded.mode == ("RGBA" if alpha else "RGB")


def test_a_palette_png_with_a_transparent_colour_keeps_it() -> None:
    image = Image.new("P", (100, 50), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (50, 0, 100, 50))
    data = _encode(image, "PNG", transparency=1)
    decoded = assert_clean_webp(
        process(data, "image/png", max_pixels=MAX).renditions[1].data, size=(100, 50)
    )
    assert decoded.mode == "RGBA"
    assert decoded.getpixel((75, 25))[3] == 0  # type: ignore[index]


def test_a_wide_gamut_profile_is_converted_to_srgb_and_dropped() -> None:
    # An RGB image tagged with a profile other than sRGB (a D50 white point): it is
    # converted, and no profile is left in the rendition.
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB", 5000))
    image = Image.new("RGB", (64, 64), (200, 100, 50))
    data = _encode(image, "JPEG", quality=95, icc_profile=profile.tobytes())
    page = process(data, "image/jpeg", max_pixels=MAX).renditions[1]
    decoded = assert_clean_webp(page.data, size=(64, 64))
    assert decoded.info.get("icc_profile") is None


def test_the_declared_type_is_matched_case_and_parameters_aside() -> None:
    data = _encode(Image.new("RGB", (10, 10)), "PNG")
    assert process(data, "IMAGE/PNG; charset=binary", max_pixels=MAX).content_type == "image/png"
    with pytest.raises(UnsupportedImageType):
        process(data, None, max_pixels=MAX)


def test_pixels_are_counted_before_decoding() -> None:
    data = _encode(Image.new("L", (200, 200)), "PNG")
    with pytest.raises(ImageTooManyPixels):
        process(data, "image/png", max_pixels=39_999)
    assert process(data, "image/png", max_pixels=40_000).width == 200


@pytest.mark.parametrize(
    ("size", "target", "expected"),
    [
        ((3000, 1500), 1600, (1600, 800)),
        ((1000, 10), 480, (480, 5)),
        ((300, 900), 480, (300, 900)),
        ((5000, 1), 480, (480, 1)),
    ],
)
def test_rendition_sizes_keep_the_ratio_and_never_upscale(
    size: tuple[int, int], target: int, expected: tuple[int, int]
) -> None:
    assert rendition_size(*size, target) == expected
