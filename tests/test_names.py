"""A write that succeeds is readable: every kind of object, named with every name its parent type keeps
for a field of its own, is either refused when added (a ValidationError naming the clash) or written
and read back under that name."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pynwb import get_type_map
from roiextractors import NumpySegmentationExtractor

import microscopy_builder as mb

from .conftest import FORMATS, make_imaging, new_session, read

ROWS, COLUMNS, FRAMES = 6, 7, 12


def own_fields(namespace: str, neurodata_type: str) -> set[str]:
    """Names of a type's datasets, groups, links and attributes, read from the loaded NWB schema."""
    import ndx_microscopy  # noqa: F401 - loads the extension's schema

    spec = get_type_map().namespace_catalog.get_spec(namespace, neurodata_type)
    return {child.name for kind in ("datasets", "groups", "links", "attributes") for child in getattr(spec, kind) if child.name}


def rig_with(channel="Green", detector="PMT", rig="Rig", indicator="GCaMP6s"):
    return (mb.RigBuilder(rig).microscope(manufacturer="Maker", model="Scope")
            .photodetector(detector, manufacturer="Maker", model="P1", detector_type="PMT")
            .channel(channel, excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0,
                     indicator=mb.Indicator(label="GCaMP6s", key=indicator)))


def space_with(name="FOV"):
    return mb.ImagingSpaceBuilder(name).planar(pixel_size_um=(1.0, 1.0)).anatomical_target("VISp").line_scan()


def rois():
    rng = np.random.default_rng(0)
    return NumpySegmentationExtractor(image_masks=(rng.random((ROWS, COLUMNS, 3)) > 0.5).astype("float32"),
                                      raw=rng.random((FRAMES, 3)).astype("float32"),
                                      neuropil=rng.random((FRAMES, 3)).astype("float32"),
                                      mean_image=rng.random((ROWS, COLUMNS)).astype("float32"),
                                      sampling_frequency=10.0, movie_dims=(ROWS, COLUMNS))


def describe(kind: str, name: str):
    """A series and segmentation with the object of ``kind`` called ``name``; where to find it once read."""
    rig = rig_with(**{k: name for k in (kind,) if k in ("channel", "detector", "rig", "indicator")})
    series = mb.SeriesBuilder(name if kind == "series" else "TwoPhotonSeries").from_extractor(
        make_imaging(rows=ROWS, columns=COLUMNS, frames=FRAMES)).rig(rig).space(space_with(name if kind == "space" else "FOV"))
    if kind == "series":
        series = series.in_processing()
    segmentation = mb.SegmentationBuilder(name if kind == "segmentation" else "PlaneSegmentation").from_extractor(rois())
    segmentation = segmentation.series(series)
    if kind == "trace":
        segmentation = segmentation.trace("raw", name=name)
    if kind == "image":
        segmentation = segmentation.summary_images(rename={"mean": name})
    return series, segmentation


def found_in(nwbfile, name: str) -> bool:
    return any(obj.name == name for obj in nwbfile.objects.values())


RESERVED = {  # kind -> (namespace, parent type) of every group the kind's objects go in, per format
    "ndx-microscopy": {
        "space": [("ndx-microscopy", "PlanarMicroscopySeries"), ("ndx-microscopy", "PlanarSegmentation")],
        "channel": [("ndx-microscopy", "PlanarMicroscopySeries")],
        "series": [("core", "ProcessingModule")],
        "image": [("ndx-microscopy", "PlanarSegmentation")],
        "segmentation": [("ndx-microscopy", "SegmentationContainer")],
        "trace": [("ndx-microscopy", "MicroscopyResponseSeriesContainer")],
    },
    "legacy": {
        "channel": [("core", "ImagingPlane")],
        "series": [("core", "ProcessingModule")],
        "image": [("core", "Images")],
        "segmentation": [("core", "ImageSegmentation")],
        "trace": [("core", "Fluorescence")],
    },
}
SIBLINGS = {  # names the library itself gives objects beside user-named ones, per kind
    "detector": ["models"],
    "series": ["ImageSegmentation", "Fluorescence", "DfOverF", "SegmentationImages", "SegmentationContainer",
               "PlaneSegmentationResponseSeries"],
    "image": ["Accepted", "Rejected", "ROICentroids", "roi_name", "image_mask", "FOV"],
    "channel": ["FOV"],  # the space beside it in an ndx-microscopy series
    "space": ["Green"],
    "rig": ["GCaMP6s"],  # the indicator in the ndx-microscopy metadata group
    "indicator": ["Rig"],
    "trace": ["Neuropil"],  # the neuropil traces' own name in both formats
    "segmentation": ["Background"],
}


def names_for(format: str, kind: str) -> list[str]:
    reserved = {n for parent in RESERVED[format].get(kind, []) for n in own_fields(*parent)}
    return sorted(reserved | set(SIBLINGS.get(kind, [])))


@pytest.mark.parametrize("kind", ["space", "channel", "series", "detector", "rig", "indicator", "segmentation", "trace", "image"])
@pytest.mark.parametrize("format", FORMATS)
def test_every_reserved_name_is_refused_at_add_or_reads_back(tmp_path, format, kind):
    names = names_for(format, kind)
    written = refused = 0
    for index, name in enumerate(names):
        series, segmentation = describe(kind, name)
        session = new_session(format)
        try:
            session.add(series).add(segmentation)
        except mb.ValidationError as error:
            assert repr(name) in str(error), f"the error names the clash: {error}"
            refused += 1
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = session.write(tmp_path / f"{kind}-{index}.nwb")
        with read(path) as nwbfile:  # readable, and the object is there under its name
            assert found_in(nwbfile, name) or kind in ("detector", "rig", "indicator", "space", "image"), name
        written += 1
    assert refused + written == len(names)


@pytest.mark.parametrize("name", [".", "..", ".zgroup", ".hidden", "a\x00b", "", "  "])
def test_names_that_name_the_group_itself_or_hide_in_zarr_are_refused(name):
    for make in (lambda: mb.RigBuilder(name).microscope(model="x").build(),
                 lambda: space_with(name).build(),
                 lambda: rig_with(channel=name).build(),
                 lambda: rig_with(detector=name).build()):
        with pytest.raises(mb.ValidationError):
            make()


def test_an_ndx_space_named_like_its_channel_is_refused_and_legacy_writes_it(tmp_path):
    series, segmentation = describe("space", "Green")
    with pytest.raises(mb.ValidationError, match="already has the name 'Green' in series 'TwoPhotonSeries'"):
        new_session("ndx-microscopy").add(series)
    path = new_session("legacy").add(series).add(segmentation).write(tmp_path / "legacy.nwb")
    with read(path) as nwbfile:
        assert "Green" in nwbfile.imaging_planes and "Green" in nwbfile.imaging_planes["Green"].optical_channel[0].name


def test_plain_names_of_every_kind_write_and_read_back(tmp_path):
    for format in FORMATS:
        for kind in ("space", "channel", "series", "detector", "rig", "indicator", "segmentation", "trace", "image"):
            series, segmentation = describe(kind, f"My{kind.capitalize()}")
            path = new_session(format).add(series).add(segmentation).write(tmp_path / f"{format}-{kind}.nwb")
            with read(path) as nwbfile:
                assert nwbfile.objects
