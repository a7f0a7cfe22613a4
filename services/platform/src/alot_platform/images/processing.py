"""Turning an uploaded file into the renditions the platform serves (pure: bytes in, bytes out).

The rule (docs/platform/images.md):

- accepted: JPEG, PNG and WebP, judged by the declared type AND the file's own first
  bytes, which must agree; then Pillow must decode it. Anything else is refused.
- at most ``max_pixels`` pixels, checked from the header before a pixel is decoded
  (a decompression bomb is a small file that claims a huge canvas).
- re-encoded, never passed through: the EXIF orientation is applied to the pixels, an
  embedded ICC profile is converted to sRGB, and the output is built from the pixels
  alone, so no EXIF (GPS included), XMP, ICC profile, text chunk or comment survives.
  An animated file keeps its first frame.
- renditions: ``card`` (480 px wide) and ``page`` (1600 px wide), never upscaled, both
  WebP (quality 82; transparency kept): about a third smaller than JPEG at the same
  quality, and every browser the web client supports decodes it.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from alot_platform.errors import AlotError, InvalidInput

ACCEPTED_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_TYPE_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
RENDITION_WIDTHS = {"card": 480, "page": 1600}
RENDITION_TYPE = "image/webp"
RENDITION_EXTENSION = "webp"
WEBP_QUALITY = 82


class UnsupportedImageType(AlotError):
    status_code = 415
    code = "unsupported_image_type"
    title = "Unsupported image type"


class InvalidImage(InvalidInput):
    code = "invalid_image"
    title = "The image cannot be read"


class ImageTooManyPixels(InvalidInput):
    code = "image_too_many_pixels"
    title = "The image is too large in pixels"


@dataclass(frozen=True)
class Rendition:
    name: str
    data: bytes
    width: int
    height: int
    content_type: str = RENDITION_TYPE


@dataclass(frozen=True)
class ProcessedImage:
    content_type: str
    """The original's type (as sniffed, and agreeing with the declared one)."""
    width: int
    height: int
    """The original's size, upright (after its EXIF orientation)."""
    sha256: str
    """Of the original file's bytes."""
    renditions: list[Rendition]


def sniff(data: bytes) -> str | None:
    """The accepted type whose signature `data` starts with, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _declared(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_type(declared_type: str | None, data: bytes) -> str:
    """The file's type if the declared and the sniffed type are one accepted type."""
    declared = _declared(declared_type)
    accepted = "JPEG, PNG or WebP"
    if declared not in ACCEPTED_TYPES:
        raise UnsupportedImageType(
            f"only {accepted} images are accepted; the file was sent as {declared or 'no type'}",
            declared_type=declared or None,
        )
    sniffed = sniff(data)
    if sniffed is None:
        raise UnsupportedImageType(
            f"the file is not a {accepted} image (its content is not one), whatever its name",
            declared_type=declared,
        )
    if sniffed != declared:
        raise UnsupportedImageType(
            f"the file was sent as {declared} but its content is"
            f" {_TYPE_NAMES[ACCEPTED_TYPES[sniffed]]}",
            declared_type=declared,
            detected_type=sniffed,
        )
    return sniffed


def _open(data: bytes, content_type: str, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns (or raises) while it reads the header: either
        # way the file is refused, never decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[ACCEPTED_TYPES[content_type]])
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageTooManyPixels(
                f"the image is over the limit of {max_pixels} pixels", max_pixels=max_pixels
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise InvalidImage(f"the image cannot be decoded ({error})") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise ImageTooManyPixels(
            f"the image is {width}x{height} pixels, over the limit of {max_pixels} pixels",
            max_pixels=max_pixels,
        )
    try:
        image.seek(0)  # an animation: its first frame
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InvalidImage(f"the image cannot be decoded ({error})") from None
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Upright, in sRGB RGB or RGBA, with no metadata attached."""
    upright = ImageOps.exif_transpose(image) or image
    mode = "RGBA" if _has_alpha(upright) else "RGB"
    icc = upright.info.get("icc_profile")
    converted: Image.Image | None = None
    if icc and upright.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            converted = ImageCms.profileToProfile(upright, source, srgb, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a broken profile: dropped, the pixels taken as sRGB
    if converted is None:
        converted = upright.convert(mode)
    # Nothing of the original's info (EXIF, XMP, ICC, text chunks, comments) rides
    # along: the image keeps its pixels only, and the encoder is told to write no
    # metadata (_encode). Not copied pixel by pixel: a 40 MP image is 160 MB of RGBA.
    if converted is upright or converted is image:
        converted = converted.copy()
    converted.info = {}
    return converted


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4, exif=b"", icc_profile=None, xmp="")
    return out.getvalue()


def rendition_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    """`target_width` wide keeping the aspect ratio; never wider than the original."""
    if width <= target_width:
        return width, height
    return target_width, max(1, round(height * target_width / width))


def process(data: bytes, declared_type: str | None, *, max_pixels: int) -> ProcessedImage:
    """Check `data` and make its renditions (raises the problems above)."""
    content_type = check_type(declared_type, data)
    with _open(data, content_type, max_pixels) as original:
        clean = _to_srgb(original)
    renditions = []
    for name, target in RENDITION_WIDTHS.items():
        size = rendition_size(clean.width, clean.height, target)
        scaled = clean if size == clean.size else clean.resize(size, Image.Resampling.LANCZOS)
        renditions.append(Rendition(name, _encode(scaled), *size))
    return ProcessedImage(
        content_type=content_type,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(data).hexdigest(),
        renditions=renditions,
    )
