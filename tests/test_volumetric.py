"""Volumes, planes at depth and several channels: real files in both formats, read back."""

from __future__ import annotations

import numpy as np
import pynwb
import pytest
from nwbinspector import Importance, inspect_nwbfile
from roiextractors import NumpyImagingExtractor, NwbImagingExtractor
from roiextractors.planarstackimagingextractor import PlanarStackImagingExtractor
from roiextractors.segmentationextractor import _ROIMasks
from roiextractors.testing import generate_dummy_imaging_extractor, generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, new_session, read, registered

ROWS, COLUMNS, PLANES, FRAMES = 6, 9, 3, 12


@pytest.fixture
def two_colour(rig) -> mb.RigBuilder:
    return rig.channel("Red", excitation_wavelength_nm=1040.0, emission_wavelength_nm=600.0, indicator="tdTomato",
                       description="Red channel")


@pytest.fixture
def volume() -> mb.ImagingSpaceBuilder:
    return (
        mb.ImagingSpaceBuilder("V1_volume")
        .volumetric(voxel_size_um=(1.2, 1.5, 20.0))
        .anatomical_target("VISp")
        .line_scan(line_rate_hz=7910.0)
        .description("A z-stack through V1")
    )


@pytest.fixture
def plane_base() -> mb.ImagingSpaceBuilder:
    return (
        mb.ImagingSpaceBuilder("V1")
        .planar(pixel_size_um=(1.2, 1.5))
        .anatomical_target("VISp")
        .plane_acquisition(plane_rate_hz=10.0)
        .description("Planes of V1 imaged with an electrically tunable lens")
    )


def volumetric_imaging(seed: int = 0):
    return generate_dummy_imaging_extractor(
        num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES, num_planes=PLANES, sampling_frequency=10.0, seed=seed
    )


def numpy_imaging(seed: int, *, frames: int = FRAMES) -> NumpyImagingExtractor:
    """A NumpyImagingExtractor (needs the trailing channel axis) with non-square frames."""
    data = np.random.default_rng(seed).integers(0, 4000, size=(frames, ROWS, COLUMNS, 1), dtype="uint16")
    return NumpyImagingExtractor(timeseries=data, sampling_frequency=10.0)


def volumetric_segmentation(*, sparse: bool):
    """A roiextractors segmentation whose masks are voxel lists (or dense volumes) of a ROWS x COLUMNS x PLANES grid."""
    source = generate_dummy_segmentation_extractor(num_rois=5, num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES,
                                                   sampling_frequency=10.0, rejected_list=["roi_1"])
    rng = np.random.default_rng(7)
    ids = source.get_roi_ids()
    voxels = [
        np.column_stack([rng.integers(0, ROWS, 4), rng.integers(0, COLUMNS, 4), rng.integers(0, PLANES, 4), rng.random(4) + 0.1])
        for _ in ids
    ]
    if sparse:
        masks = _ROIMasks(data=voxels, mask_tpe="nwb-voxel_mask", field_of_view_shape=(ROWS, COLUMNS, PLANES),
                          roi_id_map={roi: index for index, roi in enumerate(ids)})
    else:
        dense = np.zeros((ROWS, COLUMNS, len(ids), PLANES), dtype="float32")  # roiextractors' ROI axis is 2
        for index, voxel in enumerate(voxels):
            for y, x, z, weight in voxel:
                dense[int(y), int(x), index, int(z)] = weight
        masks = _ROIMasks(data=dense, mask_tpe="nwb-image_mask", field_of_view_shape=(ROWS, COLUMNS, PLANES),
                          roi_id_map={roi: index for index, roi in enumerate(ids)})
    source._roi_masks = masks
    source._summary_images = {"mean": rng.random((ROWS, COLUMNS, PLANES))}
    return source


def serious_messages(path) -> list:
    """nwbinspector's CRITICAL, BEST_PRACTICE_VIOLATION and ERROR messages on a file."""
    serious = (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION, Importance.ERROR)
    return [m for m in inspect_nwbfile(nwbfile_path=path) if m.importance in serious]


def ophys_table(nwbfile, format, name="PlaneSegmentation"):
    ophys = nwbfile.processing["ophys"]
    if format == "legacy":
        return ophys["ImageSegmentation"][name]
    return ophys["SegmentationContainer"].segmentations[name]


# -- volumes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("source_kind", ["mock", "stack"])
def test_volumetric_series_in_both_formats(tmp_path, rig, volume, backend, suffix, source_kind):
    if source_kind == "mock":
        imaging = volumetric_imaging()
    else:  # roiextractors' own stacking of planar NumpyImagingExtractors
        imaging = PlanarStackImagingExtractor([numpy_imaging(seed) for seed in range(PLANES)])
    expected = imaging.get_series()  # (time, rows, columns, planes)
    assert expected.shape == (FRAMES, ROWS, COLUMNS, PLANES)
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(volume)

    ndx_path, legacy_path = tmp_path / f"ndx.{suffix}", tmp_path / f"legacy.{suffix}"
    new_session("ndx-microscopy").add(series).write(ndx_path, backend=backend)
    new_session("legacy").add(series).write(legacy_path, backend=backend)

    with read(ndx_path) as nwbfile:
        movie = nwbfile.acquisition["TwoPhotonSeries"]
        assert type(movie).__name__ == "VolumetricMicroscopySeries"
        np.testing.assert_array_equal(movie.data[:], expected.transpose(0, 3, 1, 2))  # (frames, depth, height, width)
        space = movie.volumetric_imaging_space
        assert type(space).__name__ == "VolumetricImagingSpace"
        np.testing.assert_array_equal(space.voxel_size_in_um[:], [1.2, 1.5, 20.0])
        np.testing.assert_array_equal(space.dimensions_in_voxels[:], [COLUMNS, ROWS, PLANES])  # (x, y, z)
        assert movie.rate == 10.0 and movie.microscopy_channel.name == "Green"
    with read(legacy_path) as nwbfile:
        movie = nwbfile.acquisition["TwoPhotonSeries"]
        np.testing.assert_array_equal(movie.data[:], expected.transpose(0, 2, 1, 3))  # (frames, x, y, z)
        np.testing.assert_array_equal(movie.dimension[:], [COLUMNS, ROWS, PLANES])
        np.testing.assert_allclose(movie.field_of_view[:], [COLUMNS * 1.2e-6, ROWS * 1.5e-6, PLANES * 20e-6])
        np.testing.assert_array_equal(movie.imaging_plane.grid_spacing[:], [1.2, 1.5, 20.0])
        assert movie.imaging_plane.grid_spacing_unit == "micrometers"
    if backend == "hdf5":
        reader = NwbImagingExtractor(legacy_path)  # default arguments
        assert reader.is_volumetric and reader.get_num_planes() == PLANES
        np.testing.assert_array_equal(reader.get_series(), expected)
        assert reader.get_sampling_frequency() == 10.0


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("masks", ["image", "voxel"])
def test_volumetric_segmentation_in_both_formats(tmp_path, rig, volume, format, masks):
    imaging = volumetric_imaging()
    source = volumetric_segmentation(sparse=(masks == "voxel"))
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(volume)
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(source).series(series).masks(masks)
    path = tmp_path / "volume.nwb"
    session = new_session(format).add(series)
    if format == "legacy" and masks == "voxel":
        with pytest.warns(mb.CompatibilityWarning, match="reads only image masks"):
            session.add(segmentation)
    else:
        session.add(segmentation)
    session.write(path)

    ids = source.get_roi_ids()
    dense = source.get_roi_image_masks(ids)  # (rows, columns, ROIs, planes)
    with read(path) as nwbfile:
        table = ophys_table(nwbfile, format)
        assert len(table) == len(ids) and list(table["roi_name"].data[:]) == ids
        if format == "ndx-microscopy":
            assert type(table).__name__ == "VolumetricSegmentation"
            assert table.volumetric_imaging_space.object_id == nwbfile.acquisition["TwoPhotonSeries"].volumetric_imaging_space.object_id
        else:
            assert table.imaging_plane.object_id == nwbfile.acquisition["TwoPhotonSeries"].imaging_plane.object_id
        if masks == "image":
            column = "volume_mask" if format == "ndx-microscopy" else "image_mask"
            axes = (2, 3, 0, 1) if format == "ndx-microscopy" else (2, 1, 0, 3)  # (ROI, z, y, x) / (ROI, x, y, z)
            np.testing.assert_allclose(table[column].data[:], dense.transpose(axes))
        else:
            for index, roi in enumerate(ids):
                stored = np.array([tuple(row) for row in table["voxel_mask"][index]])
                expected = source.get_roi_pixel_masks([roi])[0][:, [1, 0, 2, 3]]  # (y, x, z, w) -> (x, y, z, w)
                np.testing.assert_allclose(stored, expected, rtol=1e-6)
        rejected = np.asarray(table["Rejected"].data[:])
        assert rejected.tolist() == [0, 1, 0, 0, 0]
        centre = np.asarray(table["ROICentroids"].data[0])
        voxels = source.get_roi_pixel_masks([ids[0]])[0]
        np.testing.assert_allclose(centre, np.average(voxels[:, [1, 0, 2]], axis=0, weights=voxels[:, 3]))
        if format == "ndx-microscopy":
            mean = table.summary_images["mean"].data[:]
            np.testing.assert_allclose(mean, source.get_images_dict()["mean"].transpose(2, 0, 1))
            traces = nwbfile.processing["ophys"]["PlaneSegmentationResponseSeries"].microscopy_response_series
            np.testing.assert_array_equal(traces["DfOverF"].data[:], source.get_traces(name="dff"))
        else:
            images = nwbfile.processing["ophys"]["SegmentationImages"].images
            assert sorted(images) == [f"mean_plane{k}" for k in range(PLANES)]
            np.testing.assert_allclose(images["mean_plane2"].data[:], source.get_images_dict()["mean"][:, :, 2].T)
            np.testing.assert_array_equal(nwbfile.processing["ophys"]["DfOverF"]["RoiResponseSeries"].data[:],
                                          source.get_traces(name="dff"))
    assert list(pynwb.validate(path=str(path))) == []
    assert serious_messages(path) == []


# -- planes at depth ------------------------------------------------------------------------------------
def test_at_depth_derives_a_named_plane_and_leaves_the_base_unchanged(plane_base):
    plane = plane_base.at_depth(150)
    spec = plane.build()
    assert (spec.name, spec.key, spec.base_key, spec.base_name, spec.depth_um) == ("V1_150um", "V1_150um", "V1", "V1", 150.0)
    assert spec.pixel_size_um == (1.2, 1.5) and spec.anatomical_target == "VISp"
    assert spec.illumination == plane_base.build().illumination
    assert plane_base.build().depth_um is None  # the base is not changed
    again = plane.at_depth(300)  # from a derived plane: still a plane of the base
    assert (again.build().name, again.build().base_key) == ("V1_300um", "V1")
    with pytest.raises(mb.ValidationError, match="at_depth"):
        mb.ImagingSpaceBuilder("Vol").volumetric(voxel_size_um=(1, 1, 1)).at_depth(10).build()


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_planes_of_a_volume_become_a_multi_plane_container(tmp_path, rig, plane_base, backend, suffix):
    """The example the issue asks for: a volumetric extractor written plane by plane with select_plane."""
    volume = volumetric_imaging()
    depths = (100.0, 130.0, 160.0)
    series = [
        mb.SeriesBuilder(f"TwoPhotonSeriesPlane{index}").from_extractor(volume.select_plane(index))
        .rig(rig).channel("Green").space(plane_base.at_depth(depth))
        for index, depth in reversed(list(enumerate(depths)))  # added deepest first
    ]
    paths = {}
    for format in FORMATS:
        session = new_session(format)
        for item in series:
            session.add(item)
        paths[format] = session.write(tmp_path / f"{format}.{suffix}", backend=backend)

    with read(paths["ndx-microscopy"]) as nwbfile:
        assert list(nwbfile.acquisition) == ["MultiPlane_V1_Green"]
        container = nwbfile.acquisition["MultiPlane_V1_Green"]
        assert type(container).__name__ == "MultiPlaneMicroscopyContainer"
        planes = container.planar_microscopy_series
        assert list(planes) == [f"TwoPhotonSeriesPlane{index}" for index in range(3)]
        for index, depth in enumerate(depths):
            movie = planes[f"TwoPhotonSeriesPlane{index}"]
            np.testing.assert_array_equal(movie.data[:], volume.get_series()[..., index])
            assert movie.planar_imaging_space.name == f"V1_{depth:g}um"
            assert f"depth {depth:g} um" in movie.planar_imaging_space.description
        # one rig, one channel object however many planes
        assert len({m.microscopy_rig.object_id for m in planes.values()}) == 1
        assert len({m.microscopy_channel.object_id for m in planes.values()}) == 1
        assert list(nwbfile.devices).count("Bergamo") == 1
    with read(paths["legacy"]) as nwbfile:
        assert sorted(nwbfile.acquisition) == [f"TwoPhotonSeriesPlane{index}" for index in range(3)]
        assert sorted(nwbfile.imaging_planes) == ["V1_100um", "V1_130um", "V1_160um"]
        assert nwbfile.acquisition["TwoPhotonSeriesPlane2"].imaging_plane.name == "V1_160um"
    if backend == "hdf5":
        for index in range(3):
            reader = NwbImagingExtractor(paths["legacy"], optical_series_name=f"TwoPhotonSeriesPlane{index}")
            np.testing.assert_array_equal(reader.get_series(), volume.get_series()[..., index])


# -- channels ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_two_channels_of_one_space(tmp_path, two_colour, space, backend, suffix):
    green, red = numpy_imaging(1), numpy_imaging(2)
    series = [
        mb.SeriesBuilder("GreenSeries").from_extractor(green).rig(two_colour).channel("Green").space(space),
        mb.SeriesBuilder("RedSeries").from_extractor(red).rig(two_colour).channel("Red").space(space),
    ]
    paths = {}
    for format in FORMATS:
        session = new_session(format).add(series[0]).add(series[1])
        paths[format] = session.write(tmp_path / f"{format}.{suffix}", backend=backend)

    with read(paths["ndx-microscopy"]) as nwbfile:
        assert list(nwbfile.acquisition) == ["MultiChannel_V1_L23"]
        container = nwbfile.acquisition["MultiChannel_V1_L23"]
        assert type(container).__name__ == "MultiChannelMicroscopyContainer"
        movies = container.microscopy_series
        np.testing.assert_array_equal(movies["GreenSeries"].data[:], green.get_series())
        np.testing.assert_array_equal(movies["RedSeries"].data[:], red.get_series())
        assert movies["RedSeries"].microscopy_channel.indicator.label == "tdTomato"
        assert movies["GreenSeries"].planar_imaging_space.object_id == movies["RedSeries"].planar_imaging_space.object_id
        assert movies["GreenSeries"].microscopy_rig.object_id == movies["RedSeries"].microscopy_rig.object_id
        metadata = nwbfile.lab_meta_data["microscopy_experiment_metadata"]
        assert sorted(metadata.indicators) == ["GCaMP6s", "tdTomato"] and list(metadata.microscopy_rigs) == ["Bergamo"]
    with read(paths["legacy"]) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["GreenSeries", "RedSeries"]
        assert nwbfile.acquisition["RedSeries"].imaging_plane.name == "V1_L23_Red"
        assert nwbfile.acquisition["RedSeries"].imaging_plane.optical_channel[0].emission_lambda == 600.0
    if backend == "hdf5":
        reader = NwbImagingExtractor(paths["legacy"], optical_series_name="RedSeries")
        np.testing.assert_array_equal(reader.get_series(), red.get_series())


def _planes_and_channels(two_colour, plane_base, depths=(100, 200)):
    return [
        mb.SeriesBuilder(f"{channel}{depth}").from_extractor(numpy_imaging(seed=index))
        .rig(two_colour).channel(channel).space(plane_base.at_depth(depth))
        for index, (channel, depth) in enumerate((c, d) for c in ("Green", "Red") for d in depths)
    ]


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_two_channels_of_several_planes_nest_multi_plane_containers(tmp_path, two_colour, plane_base, backend, suffix):
    legacy = new_session("legacy")
    for item in _planes_and_channels(two_colour, plane_base):
        legacy.add(item)
    with read(legacy.write(tmp_path / f"legacy.{suffix}")) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["Green100", "Green200", "Red100", "Red200"]
        assert sorted(nwbfile.imaging_planes) == ["V1_100um_Green", "V1_100um_Red", "V1_200um_Green", "V1_200um_Red"]
        assert nwbfile.acquisition["Red200"].imaging_plane.name == "V1_200um_Red"
    session = new_session("ndx-microscopy")
    for item in _planes_and_channels(two_colour, plane_base):
        session.add(item)
    path = session.write(tmp_path / f"nested.{suffix}")
    with read(path) as nwbfile:
        assert list(nwbfile.acquisition) == ["MultiChannel_V1"]
        outer = nwbfile.acquisition["MultiChannel_V1"]
        assert list(outer.microscopy_series) == []
        assert sorted(outer.multi_plane_microscopy_containers) == ["MultiPlane_V1_Green", "MultiPlane_V1_Red"]
        green = outer.multi_plane_microscopy_containers["MultiPlane_V1_Green"].planar_microscopy_series
        red = outer.multi_plane_microscopy_containers["MultiPlane_V1_Red"].planar_microscopy_series
        assert list(green) == ["Green100", "Green200"] and list(red) == ["Red100", "Red200"]
        # dedupe: one space object per depth however many channels; one rig; one indicator per indicator
        for depth in (100, 200):
            assert green[f"Green{depth}"].planar_imaging_space.object_id == red[f"Red{depth}"].planar_imaging_space.object_id
        spaces = {m.planar_imaging_space.object_id for m in (*green.values(), *red.values())}
        assert len(spaces) == 2
        assert len({m.microscopy_rig.object_id for m in (*green.values(), *red.values())}) == 1
        assert sorted(nwbfile.devices) == ["Bergamo", "GreenFilter", "Laser", "Objective", "PMT"]
        assert sorted(nwbfile.lab_meta_data["microscopy_experiment_metadata"].indicators) == ["GCaMP6s", "tdTomato"]
    if backend == "hdf5":  # pynwb's validator and nwbinspector's file checks read HDF5
        assert list(pynwb.validate(path=str(path))) == []
        assert serious_messages(path) == []


def test_grouping_can_be_named_or_switched_off(tmp_path, two_colour, plane_base):
    named = new_session("ndx-microscopy")
    for item in _planes_and_channels(two_colour, plane_base):
        channel = "G" if item.name.startswith("Green") else "R"
        named.add(item.grouped(planes=f"Stack{channel}", channels="TwoColourStack"))
    path = named.write(tmp_path / "named.nwb")
    with read(path) as nwbfile:
        assert list(nwbfile.acquisition) == ["TwoColourStack"]
        assert sorted(nwbfile.acquisition["TwoColourStack"].multi_plane_microscopy_containers) == ["StackG", "StackR"]

    flat = new_session("ndx-microscopy")
    for item in _planes_and_channels(two_colour, plane_base):
        flat.add(item.ungrouped())
    path = flat.write(tmp_path / "flat.nwb")
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["Green100", "Green200", "Red100", "Red200"]
        assert type(nwbfile.acquisition["Red200"]).__name__ == "PlanarMicroscopySeries"


def test_groups_form_only_from_distinct_depths_and_channels(tmp_path, rig, space):
    """Two series of one channel on one space (two trials, say) are not a multi-channel pair."""
    session = new_session("ndx-microscopy")
    for name in ("TrialA", "TrialB"):
        session.add(mb.SeriesBuilder(name).from_extractor(numpy_imaging(1)).rig(rig).channel("Green").space(space))
    path = session.write(tmp_path / "trials.nwb")
    with read(path) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["TrialA", "TrialB"]


def test_disagreeing_group_names_are_refused_at_add(tmp_path, two_colour, space):
    session = new_session("ndx-microscopy")
    session.add(mb.SeriesBuilder("G").from_extractor(numpy_imaging(1)).rig(two_colour).channel("Green").space(space)
                .grouped(channels="One"))
    red = mb.SeriesBuilder("R").from_extractor(numpy_imaging(2)).rig(two_colour).channel("Red").space(space)
    with pytest.raises(mb.ValidationError, match="several names"):
        session.add(red.grouped(channels="Other"))
    session.add(red.grouped(channels="One"))  # the session is still usable
    with read(session.write(tmp_path / "one.nwb")) as nwbfile:
        assert sorted(nwbfile.acquisition["One"].microscopy_series) == ["G", "R"]


def test_a_placed_series_cannot_move_into_a_group(tmp_path, two_colour, space):
    session = new_session("ndx-microscopy")
    session.add(mb.SeriesBuilder("G").from_extractor(numpy_imaging(1)).rig(two_colour).channel("Green").space(space))
    assert list(session.nwbfile.acquisition) == ["G"]  # read early: placed on its own
    red = mb.SeriesBuilder("R").from_extractor(numpy_imaging(2)).rig(two_colour).channel("Red").space(space)
    with pytest.raises(mb.ValidationError, match="cannot move"):
        session.add(red)
    session.add(red.ungrouped())
    with read(session.write(tmp_path / "apart.nwb")) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["G", "R"]


def test_groups_of_different_places_and_rigs_stay_apart(tmp_path, two_colour, plane_base):
    """Raw planes in acquisition, motion-corrected ones in processing, and a second rig on the same planes."""
    other_rig = mb.RigBuilder("Ultima").microscope(manufacturer="Bruker", model="Ultima").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    session = new_session("ndx-microscopy")
    for depth in (100, 200):
        plane = plane_base.at_depth(depth)
        session.add(mb.SeriesBuilder(f"Raw{depth}").from_extractor(numpy_imaging(depth)).rig(two_colour).channel("Green").space(plane))
        session.add(mb.SeriesBuilder(f"Corrected{depth}").from_extractor(numpy_imaging(depth + 1)).rig(two_colour)
                    .channel("Green").space(plane).in_processing())
        session.add(mb.SeriesBuilder(f"Other{depth}").from_extractor(numpy_imaging(depth + 2)).rig(other_rig).space(plane))
    with read(session.write(tmp_path / "apart.nwb")) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["MultiPlane_V1_Green_Bergamo", "MultiPlane_V1_Green_Ultima"]
        assert sorted(nwbfile.acquisition["MultiPlane_V1_Green_Bergamo"].planar_microscopy_series) == ["Raw100", "Raw200"]
        assert sorted(nwbfile.acquisition["MultiPlane_V1_Green_Ultima"].planar_microscopy_series) == ["Other100", "Other200"]
        corrected = nwbfile.processing["ophys"]["MultiPlane_V1_Green"]
        assert sorted(corrected.planar_microscopy_series) == ["Corrected100", "Corrected200"]


def test_channels_on_different_depths_are_not_one_multi_channel_group(tmp_path, two_colour, plane_base):
    session = new_session("ndx-microscopy")
    for channel, depths in (("Green", (100, 200)), ("Red", (300, 400))):
        for depth in depths:
            session.add(mb.SeriesBuilder(f"{channel}{depth}").from_extractor(numpy_imaging(depth)).rig(two_colour)
                        .channel(channel).space(plane_base.at_depth(depth)))
    with read(session.write(tmp_path / "depths.nwb")) as nwbfile:
        assert sorted(nwbfile.acquisition) == ["MultiPlane_V1_Green", "MultiPlane_V1_Red"]


def test_two_plane_groups_claiming_one_name_are_refused_at_add(two_colour, plane_base):
    session = new_session("ndx-microscopy")
    with pytest.raises(mb.ValidationError, match="named 'Stack' in one container"):
        for channel in ("Green", "Red"):  # both channels' planes named "Stack", inside one multi-channel group
            for depth in (100, 200):
                session.add(mb.SeriesBuilder(f"{channel}{depth}").from_extractor(numpy_imaging(depth)).rig(two_colour)
                            .channel(channel).space(plane_base.at_depth(depth)).grouped(planes="Stack"))


def test_a_container_named_like_a_series_in_its_place_is_refused_at_add(two_colour, space, plane_base):
    session = new_session("ndx-microscopy")
    session.add(mb.SeriesBuilder("Solo").from_extractor(numpy_imaging(1)).rig(two_colour).channel("Green").space(plane_base))
    session.add(mb.SeriesBuilder("G").from_extractor(numpy_imaging(2)).rig(two_colour).channel("Green").space(space)
                .grouped(channels="Solo"))
    with pytest.raises(mb.ValidationError, match="named 'Solo' in acquisition"):
        session.add(mb.SeriesBuilder("R").from_extractor(numpy_imaging(3)).rig(two_colour).channel("Red").space(space)
                    .grouped(channels="Solo"))


def test_planes_of_one_base_share_its_grid(rig, plane_base):
    session = new_session("ndx-microscopy")
    session.add(mb.SeriesBuilder("A").from_extractor(numpy_imaging(1)).rig(rig).space(plane_base.at_depth(100)))
    coarse = plane_base.at_depth(200).planar(pixel_size_um=(5.0, 5.0))
    with pytest.raises(mb.ValidationError, match="differ in pixel size"):
        session.add(mb.SeriesBuilder("B").from_extractor(numpy_imaging(2)).rig(rig).space(coarse))
    small = generate_dummy_imaging_extractor(num_rows=ROWS + 2, num_columns=COLUMNS, num_samples=FRAMES, sampling_frequency=10.0)
    with pytest.raises(mb.ValidationError, match="one pixel grid"):
        session.add(mb.SeriesBuilder("C").from_extractor(small).rig(rig).space(plane_base.at_depth(300)))


# -- bad input -----------------------------------------------------------------------------------------------
BAD_INPUT = {
    "volumetric data on a planar space": (
        lambda rig, volume, base: mb.SeriesBuilder("S").from_extractor(volumetric_imaging()).rig(rig).space(base),
        "volumetric .* but space 'V1' is planar",
    ),
    "planar data on a volumetric space": (
        lambda rig, volume, base: mb.SeriesBuilder("S").from_extractor(numpy_imaging(1)).rig(rig).space(volume),
        "planar .* but space 'V1_volume' is volumetric",
    ),
    "depth count disagrees with the space": (
        lambda rig, volume, base: mb.SeriesBuilder("S").from_extractor(volumetric_imaging()).rig(rig)
        .space(volume.volumetric(voxel_size_um=(1, 1, 5), dimensions_in_voxels=(COLUMNS, ROWS, PLANES + 1))),
        r"dimensions_in_voxels \(x, y, z\) = \(9, 6, 4\) .* 3 planes",
    ),
    "channel missing from the rig": (
        lambda rig, volume, base: mb.SeriesBuilder("S").from_extractor(volumetric_imaging()).rig(rig).channel("Red")
        .space(volume),
        "has no channel 'Red'",
    ),
    "voxel masks on a planar space": (
        lambda rig, volume, base: mb.SegmentationBuilder("P").from_extractor(generate_dummy_segmentation_extractor(
            num_rows=ROWS, num_columns=COLUMNS, num_samples=FRAMES)).space(base).rig(rig).masks("voxel"),
        "'voxel' masks do not fit the planar space",
    ),
    "pixel masks on a volumetric space": (
        lambda rig, volume, base: mb.SegmentationBuilder("P").from_extractor(volumetric_segmentation(sparse=True))
        .space(volume).rig(rig).masks("pixel"),
        "'pixel' masks do not fit the volumetric space",
    ),
    "volumetric masks on a planar space": (
        lambda rig, volume, base: mb.SegmentationBuilder("P").from_extractor(volumetric_segmentation(sparse=True))
        .space(base).rig(rig),
        "masks are volumetric",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
@pytest.mark.parametrize("format", FORMATS)
def test_bad_input_is_refused_before_writing(tmp_path, rig, volume, plane_base, case, format):
    make, message = BAD_INPUT[case]
    session = new_session(format)
    with pytest.raises(mb.ValidationError, match=message):
        session.add(make(rig, volume, plane_base))
    assert registered(session) == set()  # nothing registered from the failed add
    session.write(tmp_path / "empty.nwb")  # the session stays usable, and holds nothing of it
    with read(tmp_path / "empty.nwb") as nwbfile:
        assert list(nwbfile.acquisition) == [] and list(nwbfile.devices) == []


def test_two_planes_claiming_one_depth_are_refused(tmp_path, rig, plane_base):
    session = new_session("ndx-microscopy")
    session.add(mb.SeriesBuilder("A").from_extractor(numpy_imaging(1)).rig(rig).space(plane_base.at_depth(100)))
    other = plane_base.at_depth(100, name="V1_shallow", key="shallow")
    with pytest.raises(mb.ValidationError, match="both claim depth 100 um"):
        session.add(mb.SeriesBuilder("B").from_extractor(numpy_imaging(2)).rig(rig).space(other))
    path = session.write(tmp_path / "one.nwb")
    with read(path) as nwbfile:
        assert list(nwbfile.acquisition) == ["A"]


def test_two_channels_of_one_volume_share_a_multi_channel_container(tmp_path, two_colour, volume):
    green, red = volumetric_imaging(seed=1), volumetric_imaging(seed=2)
    session = new_session("ndx-microscopy")
    session.add(mb.SeriesBuilder("GreenVolume").from_extractor(green).rig(two_colour).channel("Green").space(volume))
    session.add(mb.SeriesBuilder("RedVolume").from_extractor(red).rig(two_colour).channel("Red").space(volume))
    path = session.write(tmp_path / "volumes.nwb")
    with read(path) as nwbfile:
        movies = nwbfile.acquisition["MultiChannel_V1_volume"].microscopy_series
        assert {name: type(m).__name__ for name, m in movies.items()} == {
            "GreenVolume": "VolumetricMicroscopySeries", "RedVolume": "VolumetricMicroscopySeries"}
        np.testing.assert_array_equal(movies["RedVolume"].data[:], red.get_series().transpose(0, 3, 1, 2))
        assert movies["GreenVolume"].volumetric_imaging_space.object_id == movies["RedVolume"].volumetric_imaging_space.object_id
