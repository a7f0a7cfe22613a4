"""Real image files made with Pillow, carrying the metadata an upload must lose."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

SECRET = "secret-note-4711"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description'
    f' exif:GPSLatitude="51,30.0N" note="{SECRET}"/></rdf:RDF></x:xmpmeta>'
)
RED = (220, 20, 20)
BLUE = (20, 20, 220)


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.ImageDescription] = SECRET
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 0.0)
    return exif


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def two_halves(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new(mode, (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def jpeg_with_gps(width: int = 2000, height: int = 1000, *, orientation: int = 6) -> bytes:
    """A JPEG stored sideways (left red, right blue) whose EXIF says to turn it
    (6: 90 degrees clockwise: upright it is red on top), with GPS, a comment, an ICC
    profile and XMP."""
    out = io.BytesIO()
    two_halves(width, height).save(
        out,
        "JPEG",
        quality=90,
        exif=_exif(orientation).tobytes(),
        comment=SECRET.encode(),
        icc_profile=_srgb_icc(),
        xmp=XMP.encode(),
    )
    return out.getvalue()


def png_with_text(width: int = 3000, height: int = 1500) -> bytes:
    """An RGBA PNG, transparent on its right half, with text chunks (XMP included)."""
    image = two_halves(width, height, "RGBA")
    image.paste((0, 0, 0, 0), (width // 2, 0, width, height))
    info = PngInfo()
    info.add_text("Comment", SECRET)
    info.add_itxt("XML:com.adobe.xmp", XMP)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=_exif().tobytes())
    return out.getvalue()


def webp_with_exif(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    two_halves(width, height).save(
        out, "WEBP", quality=90, exif=_exif().tobytes(), icc_profile=_srgb_icc(), xmp=XMP
    )
    return out.getvalue()


def small_jpeg(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    two_halves(width, height).save(out, "JPEG", quality=80)
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG claiming a huge canvas of zeros (10 gigapixels by default)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    rows = zlib.compress(b"\x00" * (width + 1) * 64, 9)  # the first rows; enough to start
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def riff_chunks(data: bytes) -> list[str]:
    """The top-level chunk names of a WebP (RIFF) file."""
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    names = []
    offset = 12
    while offset + 8 <= len(data):
        name = data[offset : offset + 4].decode("latin-1")
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        names.append(name)
        offset += 8 + size + (size & 1)
    return names
