"""The one table of trace kinds: what each roiextractors trace kind is and where each format puts it.

roiextractors names a segmentation's traces ``raw``, ``dff``, ``neuropil``, ... (the spec-level
``TRACE_KINDS``, in the order files list them). ndx-microscopy writes each as a
``MicroscopyResponseSeries`` of its own name; the legacy format writes ``RoiResponseSeries`` in
``Fluorescence`` (``DfOverF`` for dF/F) under the names roiextractors' ``NwbSegmentationExtractor``
reads by default.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class TraceKind:
    """One kind of trace.

    Attributes
    ----------
    name
        roiextractors' name (``"dff"``).
    description
        The description written when the user gives none.
    microscopy_name
        Its ``MicroscopyResponseSeries`` name in ndx-microscopy files.
    legacy_container
        The core container of its ``RoiResponseSeries`` (``"Fluorescence"`` or ``"DfOverF"``).
    legacy_name
        Its ``RoiResponseSeries`` name there, as roiextractors' NWB reader looks for it.
    """

    name: str
    description: str
    microscopy_name: str
    legacy_container: str
    legacy_name: str


TRACES: dict[str, TraceKind] = {kind.name: kind for kind in (
    TraceKind("raw", "Raw fluorescence of each ROI.", "Fluorescence", "Fluorescence", "RoiResponseSeries"),
    TraceKind("dff", "Relative fluorescence change (dF/F) of each ROI.", "DfOverF", "DfOverF", "RoiResponseSeries"),
    TraceKind("neuropil", "Neuropil fluorescence around each ROI.", "Neuropil", "Fluorescence", "Neuropil"),
    TraceKind("deconvolved", "Deconvolved activity (estimated spiking) of each ROI.", "Deconvolved", "Fluorescence",
              "Deconvolved"),
    TraceKind("denoised", "Denoised fluorescence of each ROI.", "Denoised", "Fluorescence", "Denoised"),
    TraceKind("baseline", "Baseline fluorescence of each ROI.", "Baseline", "Fluorescence", "Baseline"),
    TraceKind("background", "Fluorescence of each background component.", "Background", "Fluorescence", "Background"),
)}
