"""Property-based tests: random valid descriptions round-trip losslessly in both formats; random invalid
ones raise only BuilderError subclasses, before anything is written."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from roiextractors import NumpyImagingExtractor, NumpySegmentationExtractor

import microscopy_builder as mb

from .conftest import START, read

DTYPES = ("bool", "int8", "uint8", "int16", "uint16", "uint32", "float32", "float64", ">u2", ">i4", ">f4", ">f8")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])

# NWB names: any text but '/' and ':'; include letters beyond ASCII
names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N"), include_characters="_- αβγµé漢字"),
    min_size=1, max_size=24,
).filter(lambda s: s.strip() == s and s)


def frames_of(draw_dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if draw_dtype == "bool":
        return rng.random(shape) > 0.5
    dtype = np.dtype(draw_dtype)
    if dtype.kind == "f":
        return rng.normal(100, 30, size=shape).astype(dtype)
    native = dtype.newbyteorder("=")
    info = np.iinfo(native)
    return rng.integers(info.min, info.max, size=shape, dtype=native, endpoint=True).astype(dtype)  # big-endian too


def describe(rig_name, channel, space_name, series_name):
    rig = mb.RigBuilder(rig_name).microscope(manufacturer="Maker", model="Model").channel(
        channel, excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder(space_name).planar(pixel_size_um=(1.0, 1.5)).anatomical_target("VISp").line_scan()
    return rig, space


@st.composite
def recordings(draw):
    frames = draw(st.integers(1, 30))
    rows, columns = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    dtype = draw(st.sampled_from(DTYPES))
    timing = draw(st.sampled_from(("rate", "regular", "irregular")))
    rate = draw(st.floats(0.5, 500.0, allow_nan=False))
    if timing == "irregular" and frames > 1:
        steps = draw(st.lists(st.floats(1e-3, 1.0), min_size=frames - 1, max_size=frames - 1))
        timestamps = np.concatenate([[0.25], 0.25 + np.cumsum(steps)])
    elif timing == "regular":
        timestamps = 3.0 + np.arange(frames) / rate
    else:
        timestamps = None
    rois = draw(st.sampled_from((0, 1, 3, draw(st.integers(1, 2500)))))
    return dict(frames=frames, rows=rows, columns=columns, dtype=dtype, rate=rate, timestamps=timestamps, rois=rois,
                seed=draw(st.integers(0, 2**16)), names=draw(st.lists(names, min_size=4, max_size=4, unique=True)))


def segmentation_of(recording):
    rng = np.random.default_rng(recording["seed"])
    rows, columns, rois, frames = recording["rows"], recording["columns"], recording["rois"], recording["frames"]
    masks = (rng.random((rows, columns, rois)) > 0.7).astype("float32")
    raw = rng.random((frames, rois)).astype("float32")
    return NumpySegmentationExtractor(image_masks=masks, raw=raw, sampling_frequency=recording["rate"],
                                      movie_dims=(rows, columns))


@SETTINGS
@given(recording=recordings(), format=st.sampled_from(("ndx-microscopy", "legacy")))
def test_random_valid_descriptions_round_trip_losslessly(recording, format):
    rig_name, channel, space_name, series_name = recording["names"]
    rig, space = describe(rig_name, channel, space_name, series_name)
    frames = frames_of(recording["dtype"], (recording["frames"], recording["rows"], recording["columns"]), recording["seed"])
    imaging = NumpyImagingExtractor(timeseries=frames[..., None], sampling_frequency=recording["rate"])
    series = mb.SeriesBuilder(series_name).from_extractor(imaging).rig(rig).space(space)
    if recording["timestamps"] is not None:
        series = series.timestamps(recording["timestamps"])
    source = segmentation_of(recording)
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series)
    session = mb.Session(session_description="hypothesis", session_start_time=START, format=format)
    session.add(series).add(segmentation)
    with tempfile.TemporaryDirectory() as folder:
        path = session.write(Path(folder) / "random.nwb", progress=False)
        with read(path) as nwbfile:
            movie = nwbfile.acquisition[series_name]
            stored = movie.data[:]
            expected = frames if format == "ndx-microscopy" else frames.transpose(0, 2, 1)
            if recording["dtype"] == "bool":
                assert stored.dtype == np.uint8
                stored = stored.astype(bool)
            else:  # big-endian sources are stored in native order, value for value
                assert stored.dtype == np.dtype(recording["dtype"]).newbyteorder("=")
            np.testing.assert_array_equal(stored, expected)
            assert stored.tobytes() == expected.astype(stored.dtype).tobytes()
            times = recording["timestamps"]
            if times is None or len(times) == 1:
                assert math.isclose(movie.rate, recording["rate"], rel_tol=1e-9)
            elif movie.timestamps is not None:
                np.testing.assert_array_equal(movie.timestamps[:], times)
            else:  # regular times became rate + starting time
                assert math.isclose(movie.starting_time, times[0]) and math.isclose(movie.rate, 1 / np.mean(np.diff(times)), rel_tol=1e-6)
            ophys = nwbfile.processing.get("ophys")
            if recording["rois"] == 0:
                table = None if ophys is None else _table(ophys, format)
                assert table is None or len(table) == 0
            else:
                table = _table(ophys, format)
                assert len(table) == recording["rois"]
                masks = source.get_roi_image_masks()
                stored_masks = table["image_mask"].data[:]
                axes = (2, 0, 1) if format == "ndx-microscopy" else (2, 1, 0)
                np.testing.assert_array_equal(stored_masks, masks.transpose(axes))


def _table(ophys, format):
    if format == "legacy":
        return ophys["ImageSegmentation"]["PlaneSegmentation"] if "ImageSegmentation" in ophys.data_interfaces else None
    container = ophys.data_interfaces.get("SegmentationContainer")
    return None if container is None else container.segmentations["PlaneSegmentation"]


# -- invalid descriptions -----------------------------------------------------------------------------------
def _imaging(frames=10, rows=6, columns=7):
    return NumpyImagingExtractor(timeseries=np.zeros((frames, rows, columns, 1), dtype="uint16"), sampling_frequency=10.0)


class LyingExtractor(NumpyImagingExtractor):
    """Declares one frame shape, returns another (a misconfigured reader)."""

    def get_series(self, start_sample=None, end_sample=None):
        return super().get_series(start_sample, end_sample)[:, :-1, :]


def _bad(kind: str, value, format: str):
    """A session-writing action broken in one way; ``value`` is a drawn bad value where one is needed."""
    rig, space = describe("Rig", "Green", "Space", "Series")
    series = mb.SeriesBuilder("Series").from_extractor(_imaging()).rig(rig).space(space)
    if kind == "name":
        return lambda: mb.SeriesBuilder(f"bad{value}name").from_extractor(_imaging()).rig(rig).space(space)
    if kind == "wavelength":
        return lambda: series.rig(rig.channel("Green", excitation_wavelength_nm=value, emission_wavelength_nm=525.0))
    if kind == "pixel_size":
        return lambda: series.space(space.planar(pixel_size_um=(value, 1.0)))
    if kind == "timestamps_length":
        return lambda: series.timestamps(np.arange(int(value)) / 10.0)
    if kind == "timestamps_order":
        return lambda: series.timestamps(np.r_[np.arange(5), value, np.arange(6, 10)] / 10.0)
    if kind == "start_time":
        return lambda: mb.Session(session_description="x", session_start_time=dt.datetime(2026, 1, 1) + dt.timedelta(seconds=value))
    if kind == "dimensions":
        return lambda: series.space(space.planar(pixel_size_um=(1, 1), dimensions_in_pixels=(7 + int(value), 6)))
    if kind == "zero_frames":
        return lambda: series.from_extractor(_imaging(frames=0))
    if kind == "lying":
        return lambda: series.from_extractor(LyingExtractor(np.zeros((10, 6, 7, 1), dtype="uint16"), 10.0))
    if kind == "long_string_rate":
        return lambda: series.rate(value)
    if kind == "mask_type":
        return lambda: mb.SegmentationBuilder("P").masks(str(value)).space(space)
    if kind == "format":
        return lambda: mb.Session(session_description="x", session_start_time=START, format=str(value))
    if kind == "reserved_name":  # ndx-microscopy: a space named like a field of its series or like its channel;
        if format == "ndx-microscopy":  # legacy: a channel named like a field of its ImagingPlane
            return lambda: series.space(describe("Rig", "Green", value, "Series")[1])
        channel = "location" if len(value) % 2 else "description"
        return lambda: series.rig(describe("Rig", channel, "Space", "Series")[0]).channel(channel).space(space)
    if kind == "hidden_name":
        return lambda: mb.SeriesBuilder(value).from_extractor(_imaging()).rig(rig).space(space)
    if kind == "dtype":
        return lambda: series.from_extractor(NumpyImagingExtractor(np.zeros((10, 6, 7, 1)).astype(value), 10.0))
    if kind == "duplicate_ids":
        masks = np.ones((6, 7, len(value)), dtype="float32")
        rois = NumpySegmentationExtractor(image_masks=masks, raw=np.ones((10, len(value)), dtype="float32"),
                                          roi_ids=list(value), sampling_frequency=10.0, movie_dims=(6, 7))
        return lambda: mb.SegmentationBuilder("PlaneSegmentation").from_extractor(rois).series(series)
    if kind == "wrong_length_native_times":
        imaging = _imaging()
        imaging._times = np.arange(int(value)) / 10.0  # a reader that got its times wrong
        return lambda: series.from_extractor(imaging)
    raise AssertionError(kind)


BAD_VALUES = {
    "name": st.sampled_from(["/", ":", "a/b", "x:y"]),
    "wavelength": st.sampled_from([float("nan"), float("inf"), -1.0, 0.0]),
    "pixel_size": st.sampled_from([float("nan"), -0.5, 0.0, float("-inf")]),
    "timestamps_length": st.integers(0, 9) | st.integers(11, 50),
    "timestamps_order": st.floats(0, 4),
    "start_time": st.integers(0, 10**6),
    "dimensions": st.integers(1, 5),
    "zero_frames": st.none(),
    "lying": st.none(),
    "long_string_rate": st.sampled_from([float("nan"), -3.0, 0.0, float("inf")]),
    "mask_type": st.text(min_size=0, max_size=2000).filter(lambda t: t not in ("image", "pixel", "voxel")),
    "format": st.text(max_size=300).filter(lambda t: t not in ("ndx-microscopy", "legacy")),
    "reserved_name": st.sampled_from(["data", "timestamps", "starting_time", "control", "microscopy_rig", "sync",
                                      "description", "comments", "Green"]),
    "hidden_name": st.sampled_from([".", "..", ".zgroup", ".zattrs", "a\x00b", "\x00"]),
    "dtype": st.sampled_from(["complex64", "complex128", "object", "U4", "S3", "datetime64[ms]", "timedelta64[s]"]),
    "duplicate_ids": st.lists(st.integers(0, 3), min_size=2, max_size=6).filter(lambda ids: len(set(ids)) < len(ids))
    | st.lists(st.sampled_from(["a", "b"]), min_size=3, max_size=5),
    "wrong_length_native_times": st.integers(1, 9) | st.integers(11, 40),
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), kind=st.sampled_from(sorted(BAD_VALUES)), format=st.sampled_from(("ndx-microscopy", "legacy")))
def test_random_invalid_descriptions_raise_only_builder_errors_and_write_nothing(data, kind, format):
    value = data.draw(BAD_VALUES[kind])
    with tempfile.TemporaryDirectory() as folder:
        destination = Path(folder) / "never.nwb"
        with pytest.raises(mb.BuilderError) as raised:
            made = _bad(kind, value, format)()
            if isinstance(made, mb.Session):
                return
            session = mb.Session(session_description="hostile", session_start_time=START, format=format)
            session.add(made).write(destination, progress=False)
        assert isinstance(raised.value, mb.BuilderError)
        assert list(Path(folder).iterdir()) == []


def test_very_long_strings_are_kept_whole(tmp_path):
    text = "A very long description. " * 4000  # 100,000 characters
    rig, space = describe("Rig", "Green", "Space", "Series")
    series = mb.SeriesBuilder("Series").from_extractor(_imaging()).rig(rig).space(space.description(text)).description(text)
    path = mb.Session(session_description=text, session_start_time=START).add(series).write(tmp_path / "long.nwb")
    with read(path) as nwbfile:
        assert nwbfile.acquisition["Series"].description == text
        assert nwbfile.session_description == text


def test_rois_with_no_pixels_are_written_as_empty_masks(tmp_path):
    rig, space = describe("Rig", "Green", "Space", "Series")
    masks = np.zeros((6, 7, 3), dtype="float32")
    masks[2, 3, 0] = 1.0  # one ROI with a pixel, two with none
    source = NumpySegmentationExtractor(image_masks=masks, raw=np.ones((10, 3), dtype="float32"), sampling_frequency=10.0,
                                        movie_dims=(6, 7))
    series = mb.SeriesBuilder("Series").from_extractor(_imaging()).rig(rig).space(space)
    for format, mask_type in (("ndx-microscopy", "pixel"), ("legacy", "image")):
        session = mb.Session(session_description="empty rois", session_start_time=START, format=format)
        session.add(series).add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series).masks(mask_type))
        path = session.write(tmp_path / f"{format}.nwb")
        with read(path) as nwbfile:
            table = _table(nwbfile.processing["ophys"], format)
            assert len(table) == 3
            if mask_type == "pixel":
                assert [len(table["pixel_mask"][i]) for i in range(3)] == [1, 0, 0]
            else:
                assert table["image_mask"].data[:].sum(axis=(1, 2)).tolist() == [1.0, 0.0, 0.0]


def test_an_extractor_with_one_frame_is_written(tmp_path):
    rig, space = describe("Rig", "Green", "Space", "Series")
    series = mb.SeriesBuilder("Series").from_extractor(_imaging(frames=1)).rig(rig).space(space)
    path = mb.Session(session_description="one frame", session_start_time=START).add(series).write(tmp_path / "one.nwb")
    with read(path) as nwbfile:
        assert nwbfile.acquisition["Series"].data.shape == (1, 6, 7) and nwbfile.acquisition["Series"].rate == 10.0
