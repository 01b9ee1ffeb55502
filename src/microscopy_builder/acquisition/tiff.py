"""TIFF files: ScanImage headers when present, else what any TIFF records (shape, ImageJ settings, tags)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import scanimage, scanimage_legacy
from .common import Collector, empty, to_int
from .metadata import Recorded, SourceMetadata

VENDOR = "TIFF"
SUFFIXES = (".tif", ".tiff")
#: ImageJ's names of a micrometre
MICRONS = ("micron", "microns", "um", "µm", "\u00b5m")


def kind(path: Path) -> str | None:
    """``"scanimage"`` (2016+), ``"scanimage3"``, ``"tiff"``, or ``None`` when ``path`` is not a readable TIFF."""
    try:
        import tifffile

        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            if scanimage.is_scanimage(page):
                return "scanimage"
            if scanimage_legacy.is_legacy(str(page.description or "")):
                return "scanimage3"
            return "tiff"
    except Exception:  # noqa: BLE001 - not a TIFF we can open: not ours to describe
        return None


def read(path: Path, timestamp_files: Sequence[Path] | None = None) -> SourceMetadata:
    """The facts a TIFF file records; ScanImage files get their full header."""
    path = Path(path)
    try:
        import tifffile
    except ImportError:
        return empty(f"{path}: reading TIFF headers needs tifffile (pip install tifffile)")
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            if scanimage.is_scanimage(page):
                return scanimage.read_tiff(tif, path, timestamp_files)
            description = str(page.description or "")
            if scanimage_legacy.is_legacy(description):
                return scanimage_legacy.read_description(description, path)
            return _plain(tif, path)
    except Exception as error:  # noqa: BLE001 - a damaged file gives a note, never an exception
        return empty(f"{path}: not read as a TIFF ({type(error).__name__}: {error})")


def _plain(tif: Any, path: Path) -> SourceMetadata:
    facts = Collector(VENDOR, [path])
    page = tif.pages[0]
    facts.raw = {tag.name: tag.value for tag in page.tags.values() if not _bulky(tag.name)}
    imagej = tif.imagej_metadata or {}
    if imagej:
        facts.raw["ImageJ"] = imagej
    shape = page.shape
    facts.fact("frame_shape", shape[:2], "TIFF ImageLength, ImageWidth", lambda s: (to_int(s[0]), to_int(s[1])))
    frames = imagej.get("frames") or (imagej.get("images") if imagej.get("slices", 1) == 1 else None) or len(tif.pages)
    key = "ImageDescription (ImageJ) frames" if imagej.get("frames") else "TIFF pages"
    facts.fact("frames", frames, key, to_int)
    if imagej.get("finterval"):
        facts.fact("frame_rate_hz", imagej["finterval"], "ImageDescription (ImageJ) finterval", lambda s: 1.0 / float(s), unit="Hz")
    elif imagej.get("fps"):
        facts.fact("frame_rate_hz", imagej["fps"], "ImageDescription (ImageJ) fps", unit="Hz")
    facts.fact("planes", imagej.get("slices"), "ImageDescription (ImageJ) slices", to_int)
    facts.fact("channels.names", imagej.get("channels"), "ImageDescription (ImageJ) channels",
               lambda n: tuple(f"Channel {i + 1}" for i in range(to_int(n))))
    if str(imagej.get("unit", "")).lower() in MICRONS:
        facts.put("pixel_size_um", facts.attempt("pixel_size_um", lambda: _resolution(page, imagej)))
    return facts.build()


def _bulky(name: str) -> bool:
    return name in ("StripOffsets", "StripByteCounts", "TileOffsets", "TileByteCounts", "ColorMap", "IJMetadata",
                    "IJMetadataByteCounts")


def _resolution(page: Any, imagej: dict[str, Any]) -> Recorded | None:
    x, y = page.tags.get("XResolution"), page.tags.get("YResolution")
    if x is None or y is None:
        return None
    sizes = [den / num for num, den in (x.value, y.value)]
    key = "TIFF XResolution, YResolution (ImageJ unit micron)"
    if imagej.get("slices", 1) > 1 and imagej.get("spacing"):
        return Recorded((*sizes, float(imagej["spacing"])), key + ", ImageDescription (ImageJ) spacing", "um")
    return Recorded(tuple(sizes), key, "um")
