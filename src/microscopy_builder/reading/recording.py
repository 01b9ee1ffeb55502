"""``mb.read(path)``: an NWB file of either layout as the builders that would write it, and a ``Session`` of them."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ..builders import ImagingSpaceBuilder, RigBuilder, SegmentationBuilder, SeriesBuilder, StaticImageBuilder
from ..emit import OPHYS_MODULE
from ..emit.formats import LEGACY_TYPES
from ..errors import CompatibilityWarning, ValidationError
from ..session import Session
from .files import NDX_SERIES_TYPES, NDX_TABLE_TYPES, NwbHandle, has_type
from .rebuilt import Rebuilt
from .session_fields import not_carried, session_kwargs

#: ndx-microscopy types that make a file an ndx-microscopy one
NDX_TYPES = frozenset({*NDX_SERIES_TYPES, *NDX_TABLE_TYPES, "MicroscopyRig", "MicroscopyExperimentMetadata",
                       "MicroscopyStaticImage", "PlanarImagingSpace", "VolumetricImagingSpace"})


class Recording:
    """What an NWB file holds for optical physiology, as builders a person would have written to produce it.

    Made by :func:`read`. Builders are keyed by their names in the file: a rig by its microscope's
    (legacy) or ``MicroscopyRig``'s name, a space by its imaging space's or ``ImagingPlane``'s
    name, series, segmentations and static images by their own names. Their data sources are
    extractors over the file, read only when a session is written; the file stays open (read
    only) until :meth:`close` or the end of a ``with`` block. Builders may be changed before
    :meth:`to_session` (``recording.series["TwoPhotonSeries"] = recording.series[...].description(...)``).

    Attributes
    ----------
    path
        The file read.
    format
        ``"ndx-microscopy"`` or ``"legacy"``: the layout of the file's optical physiology.
    session_kwargs
        The file's session fields as ``mb.Session`` keywords (``identifier`` left out, so a session made
        from them gets a new one): ``mb.Session(**recording.session_kwargs)`` works as it is.
    rigs, spaces, series, segmentations, static_images
        Builders by name.
    notes
        What the file holds that the builders cannot say, each naming the object (also warned as
        ``CompatibilityWarning`` when read): it is not carried into a session.
    """

    def __init__(self, path: Path, rebuilt: Rebuilt, kwargs: dict[str, Any], handle: NwbHandle):
        self.path = path
        self.format: str = rebuilt.format
        self.session_kwargs = kwargs
        self.rigs: dict[str, RigBuilder] = rebuilt.rigs
        self.spaces: dict[str, ImagingSpaceBuilder] = rebuilt.spaces
        self.series: dict[str, SeriesBuilder] = rebuilt.series
        self.segmentations: dict[str, SegmentationBuilder] = rebuilt.segmentations
        self.static_images: dict[str, StaticImageBuilder] = rebuilt.static_images
        self.notes: list[str] = list(rebuilt.notes)
        self._rebuilt = rebuilt
        self._handle = handle
        module = handle.nwbfile.processing.get(OPHYS_MODULE)
        self._ophys_description = None if module is None else module.description

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(getattr(self, n))} {n.replace('_', ' ')}" for n in
                           ("rigs", "spaces", "series", "segmentations", "static_images"))
        return f"<Recording {str(self.path)!r} ({self.format}): {counts}>"

    def to_session(self, format: str | None = None) -> Session:
        """An ``mb.Session`` holding the session fields and every builder, in ``format`` (default: the file's).

        Raises ``ValidationError`` when the builders, as they are now, do not describe a writable
        session in that format (the message names what to change).
        """
        if not self._handle.is_open:
            raise ValidationError([f"recording: {str(self.path)!r} was closed, and its builders' data is read from it; "
                                   f"call to_session() (and write) inside the with block, or mb.read the file again"])
        session = Session(**self.session_kwargs, format=format or self.format)
        if self._ophys_description is not None:  # the module the emitters fill keeps its description
            session.nwbfile.create_processing_module(OPHYS_MODULE, self._ophys_description)
        series = {name: self._on_current(builder) for name, builder in self.series.items()}
        for builder in self.rigs.values():
            session.add(builder)
        for builder in series.values():
            session.add(builder)
        for builder in self.segmentations.values():
            session.add(self._on_current(builder, series))
        for builder in self.static_images.values():
            session.add(self._on_current(builder))
        return session

    def _on_current(self, builder: Any, series: dict[str, SeriesBuilder] | None = None) -> Any:
        """``builder`` on the rig, space and series of these names as they are now in this recording (a rig
        changed in ``recording.rigs`` is the rig its series are written on)."""
        spec = builder.build()
        if isinstance(builder, SegmentationBuilder):
            if spec.series is not None and series and spec.series.name in series:
                builder = builder.series(series[spec.series.name])
            if spec.rig is not None and spec.rig.name in self.rigs:
                builder = builder.rig(self.rigs[spec.rig.name], spec.channel)
            if spec.space is not None and spec.space.name in self.spaces and (
                    spec.series is None or spec.series.space.key != spec.space.key):
                builder = builder.space(self.spaces[spec.space.name])
            return builder
        if spec.rig is not None and spec.rig.name in self.rigs:
            builder = builder.rig(self.rigs[spec.rig.name])
        if spec.space is not None and spec.space.name in self.spaces:
            builder = builder.space(self.spaces[spec.space.name])
        return builder

    def close(self) -> None:
        """Close the file and every data source over it."""
        for group in (self.series, self.segmentations):
            for builder in group.values():
                source = builder.draft.get("source")  # the builder's data source, as given
                if hasattr(source, "close"):
                    source.close()
        self._handle.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def read(path: str | Path) -> Recording:
    """The optical physiology of an NWB file (HDF5 or Zarr, legacy or ndx-microscopy), as builders.

    Any file whose optical-physiology part pynwb reads: this library's, NeuroConv's, pynwb-made.

    Raises
    ------
    ValidationError
        When ``path`` is not an NWB file, holds no optical physiology (neither layout's objects),
        or holds both layouts (``Session.open(..., mix_formats=True)`` makes such files): read
        the two parts into separate files first, or write such a file again with one format.
    """
    handle = NwbHandle(path)
    try:
        format = file_format(handle)
        rebuilt = _rebuild(handle, format)
        kwargs = session_kwargs(handle.nwbfile)
        left = not_carried(handle.nwbfile, carried_ids(handle))
        if left:
            rebuilt.note(f"not optical physiology, so not carried into a new file: {', '.join(left)}")
    except BaseException:
        handle.close()
        raise
    for note in rebuilt.notes:
        warnings.warn(f"{handle.path}: {note}", CompatibilityWarning, stacklevel=2)
    return Recording(handle.path, rebuilt, kwargs, handle)


def file_format(handle: NwbHandle) -> str:
    """``"ndx-microscopy"`` or ``"legacy"``: the layout of the file's optical physiology."""
    types = {cls.__name__ for obj in handle.nwbfile.objects.values() for cls in type(obj).__mro__}
    ndx, legacy = bool(types & NDX_TYPES), bool(types & LEGACY_TYPES)
    if ndx and legacy:
        raise ValidationError([f"path: {str(handle.path)!r} holds both ndx-microscopy and legacy (core pynwb.ophys) "
                               f"objects; mb.read reads files of one layout: write each part to a file of its own"])
    if not ndx and not legacy:
        raise ValidationError([f"path: {str(handle.path)!r} holds no optical physiology (no imaging series, ROI "
                               f"tables, imaging planes or microscopy rigs) to read"])
    return "ndx-microscopy" if ndx else "legacy"


def _rebuild(handle: NwbHandle, format: str) -> Rebuilt:
    if format == "ndx-microscopy":
        from .ndx_layout import rebuild_ndx

        return rebuild_ndx(handle)
    from .legacy_layout import rebuild_legacy

    return rebuild_legacy(handle)


def carried_ids(handle: NwbHandle) -> set[str]:
    """Object ids of what a translation carries: every optical-physiology object and its containers."""
    ophys = {*NDX_TYPES, *LEGACY_TYPES, "MultiPlaneMicroscopyContainer", "MultiChannelMicroscopyContainer",
             "SegmentationContainer", "MicroscopyResponseSeriesContainer", "ImageSegmentation", "Fluorescence",
             "DfOverF", "Images", "MicroscopyStaticImage"}
    return {obj.object_id for obj in handle.nwbfile.objects.values()
            if has_type(obj, frozenset(ophys)) or type(obj).__name__ == "ProcessingModule"}
