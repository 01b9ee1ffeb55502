"""Per-ROI properties of a segmentation extractor, and which of them an ROI table can hold.

roiextractors keeps what a segmentation knows about each ROI as properties
(``get_property_keys()`` / ``get_property(key, ids)``): CaImAn's ``snr``, ``r_values``,
``cnn_preds`` and ``is_accepted``; Suite2p's ``iscell``; Inscopix's ``cell_status`` text; a
NumpySegmentationExtractor's ``is_accepted`` / ``is_rejected`` and whatever ``set_property``
added. Each becomes a column of the ROI table named exactly as its key, holding its values:

* numbers keep their dtype, in this machine's byte order; NaN is data like any float;
* booleans stay numpy booleans (HDF5 stores them as its 0/1 boolean enum, Zarr as ``bool``);
* text (``str`` arrays, or object arrays holding only ``str``) becomes a text column;
* a property of per-ROI vectors ((ROIs, k) arrays) becomes a 2-D column.

Two keys are also mapped to the columns readers expect: acceptance keys (``is_accepted``,
``accepted``, ``iscell`` / ``is_rejected``, ``rejected``) give ``Accepted`` / ``Rejected`` and keep
their own column too, so their dtype and values survive (Suite2p's ``iscell`` is float 0./1.);
``roi_centroids`` (row, column) becomes ``ROICentroids`` (x, y) only. Background components have
no properties: roiextractors sets properties on cell ROIs only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .facts import SegmentationFacts

#: property keys that say a ROI was accepted / rejected, most specific first
ACCEPTED_KEYS = ("is_accepted", "accepted", "iscell")
REJECTED_KEYS = ("is_rejected", "rejected")
#: the property holding (row, column[, plane]) centres, written as ``ROICentroids``
CENTROIDS_KEY = "roi_centroids"
#: numpy kinds a property column stores as they are: bool, integers, floats, text
STORABLE_KINDS = {"b": "booleans", "i": "integers", "u": "unsigned integers", "f": "floats", "U": "text", "S": "text"}


def acceptance_keys(facts: SegmentationFacts) -> tuple[str | None, str | None]:
    """The (accepted, rejected) property keys the extractor has, most specific first."""
    keys = set(facts.property_keys)
    accepted = next((k for k in ACCEPTED_KEYS if k in keys), None)
    rejected = next((k for k in REJECTED_KEYS if k in keys), None)
    return accepted, rejected


def column_keys(facts: SegmentationFacts, *, acceptance: bool = True, centroids: bool = True, axes: int = 2) -> list[str]:
    """The keys that become columns of their own name.

    Every key, but: ``roi_centroids`` when it becomes ``ROICentroids`` (or centroids are left out);
    the acceptance keys when acceptance is left out. ``axes`` is 2 for planar masks, 3 for volumes.
    """
    dropped = set() if acceptance else {*ACCEPTED_KEYS, *REJECTED_KEYS}
    if not centroids or centroid_property_fits(facts, axes):
        dropped.add(CENTROIDS_KEY)
    return [key for key in facts.property_keys if key not in dropped]


def centroid_property_fits(facts: SegmentationFacts, axes: int) -> bool:
    """Whether ``roi_centroids`` holds one (row, column[, plane]) number triple / pair per ROI."""
    if CENTROIDS_KEY not in facts.property_keys:
        return False
    try:
        values = facts.property(CENTROIDS_KEY)
    except Exception:  # reported by property_problems, as a column of its own name
        return False
    return values.dtype.kind in "iuf" and values.shape == (len(facts.roi_ids), axes)


def property_values(facts: SegmentationFacts, key: str) -> np.ndarray:
    """The values of one property for every ROI, as stored: native byte order, text as ``str``."""
    values = facts.property(key)
    if values.dtype.kind == "O":
        values = values.astype(str)
    if values.dtype.kind in "biuf" and values.dtype.byteorder not in ("=", "|"):
        values = values.astype(values.dtype.newbyteorder("="))
    return values


def property_problems(facts: SegmentationFacts, where: str, *, acceptance: bool = True, centroids: bool = True,
                      axes: int = 2) -> list[str]:
    """Why a property to be written could not become a column: not one value (or vector) per ROI, a
    dtype no column holds, an object array that is not all text, a name NWB refuses. The keyword
    arguments are those of :func:`column_keys`."""
    problems = []
    accepted, rejected = acceptance_keys(facts) if acceptance else (None, None)
    for key in column_keys(facts, acceptance=acceptance, centroids=centroids, axes=axes):
        at = f"{where}.source property {key!r}"
        if not isinstance(key, str) or not key or "/" in key or ":" in key:
            problems.append(f"{at}: NWB column names are non-empty text without '/' or ':'; set the property "
                            f"under another name with extractor.set_property(name, values, ids)")
            continue
        try:
            values = facts.property(key)
        except Exception as error:  # an extractor's own failure, reported rather than raised mid-check
            problems.append(f"{at}: the extractor failed to give its values ({type(error).__name__}: {error})")
            continue
        problems += _value_problems(values, len(facts.roi_ids), at, acceptance_key=key in (accepted, rejected))
    return problems


def _value_problems(values: np.ndarray, num_rois: int, at: str, *, acceptance_key: bool) -> list[str]:
    if values.ndim == 0 or len(values) != num_rois:
        got = "a single value" if values.ndim == 0 else f"{len(values)} values"
        return [f"{at}: {got} for {num_rois} ROIs; a property needs one value (or one vector) per ROI, in the "
                f"order of get_roi_ids()"]
    kind = values.dtype.kind
    if kind == "O" and not all(isinstance(v, str) for v in values.flat):
        found = sorted({type(v).__name__ for v in values.flat if not isinstance(v, str)})
        return [f"{at}: an object array holding {', '.join(found)}; a column holds numbers, booleans or text of "
                f"one shape per ROI: convert it (e.g. values.astype(float), or values.astype(str) for labels)"]
    if kind != "O" and (kind not in STORABLE_KINDS or values.dtype.fields is not None):
        return [f"{at}: dtype {values.dtype} cannot be an NWB column; give booleans, integers, floats or text"]
    if acceptance_key and kind not in "biuf":
        return [f"{at}: acceptance must be booleans or 0/1 numbers to become the Accepted / Rejected columns, "
                f"got {values.dtype}; convert it, or leave acceptance out with .include_acceptance(False)"]
    if acceptance_key and values.ndim != 1:
        return [f"{at}: acceptance must be one flag per ROI, got shape {values.shape}"]
    return []


def property_description(source: Any, key: str) -> str:
    """The extractor's description of a property, else a plain statement of where it came from."""
    info = source.get_property_info(key) if hasattr(source, "get_property_info") else None
    text = getattr(info, "description", "") or ""
    return text or f"Per-ROI property {key!r} of the segmentation."
