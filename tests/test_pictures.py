"""Pictures of real files (both formats) and of sessions before writing: what each panel shows, and the PNG."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from roiextractors import NumpySegmentationExtractor

import microscopy_builder as mb
from microscopy_builder import picture_sources
from microscopy_builder.demo import demo_session
from microscopy_builder.picture_sources import picture_from_file, picture_from_session
from microscopy_builder.pictures import draw, render

from .conftest import FORMATS, make_imaging, new_session, read

pytest.importorskip("matplotlib")
ROWS, COLUMNS = 64, 80


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "microscopy_builder.cli", *args], capture_output=True, text=True,
                          timeout=300)


def disks(rows=ROWS, columns=COLUMNS, rois=12, frames=50, rejected=(2, 5)):
    """Disk-shaped ROIs (as Suite2p or CaImAn give them) with raw and dF/F traces, two of them rejected."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:rows, :columns]
    masks = np.zeros((rows, columns, rois), dtype="float32")
    for k in range(rois):
        cy, cx = rng.uniform(8, rows - 8), rng.uniform(8, columns - 8)
        masks[..., k] = ((y - cy) ** 2 + (x - cx) ** 2 < 25).astype("float32")
    dff = rng.random((frames, rois)).astype("float32")
    dff[:, 7] *= 10  # the liveliest ROI: always among those shown
    return NumpySegmentationExtractor(image_masks=masks, raw=rng.random((frames, rois)), dff=dff,
                                      mean_image=rng.random((rows, columns)), sampling_frequency=30.0,
                                      movie_dims=(rows, columns), rejected_list=list(rejected),
                                      accepted_list=[k for k in range(rois) if k not in rejected])


def colours(png) -> dict[str, object]:
    """The PNG's size, how many pixels have the outline colours, and the spread of its values."""
    import matplotlib.image

    pixels = (matplotlib.image.imread(str(png))[..., :3] * 255).round().astype(int)

    def count(hex_colour):
        target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(pixels - target).sum(axis=-1) < 60).sum())
    return {"shape": pixels.shape[:2], "green": count("#2ca02c"), "red": count("#d62728"), "std": float(pixels.std())}


def rig_and_space(pixel_um=1.5):
    rig = mb.RigBuilder("R").microscope(manufacturer="X", model="Y").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s").channel(
        "Red", excitation_wavelength_nm=1040.0, emission_wavelength_nm=600.0, indicator="tdTomato")
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(pixel_um, pixel_um)).anatomical_target("VISp").line_scan()
    return rig, space


def segmented_session(format, frames=50):
    rig, space = rig_and_space()
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS, frames=frames)
                                                                ).rig(rig).channel("Green").space(space)
    segmentation = mb.SegmentationBuilder("PlaneSegmentation").from_extractor(disks(frames=frames)).series(series)
    return new_session(format).add(series).add(segmentation)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    return {fmt: segmented_session(fmt).write(folder / f"{fmt}.nwb") for fmt in FORMATS}


def drawn_texts(figure):
    """The texts the figure shows: titles, labels, annotations, tick labels in view, the legend."""
    for axis in figure.axes:
        yield from (axis.title, axis.xaxis.label, axis.yaxis.label, *axis.texts)
        for ticks, (low, high) in ((axis.xaxis, axis.get_xlim()), (axis.yaxis, axis.get_ylim())):
            low, high = sorted((low, high))
            yield from (t.label1 for t in ticks.get_major_ticks() if low <= t.get_loc() <= high and t.label1.get_visible())
    for legend in figure.legends:
        yield from legend.get_texts()


def texts_cut_by_the_edge(figure) -> list[str]:
    """Every text the drawn figure shows that reaches beyond the figure's edge (should be none)."""
    figure.canvas.draw()
    renderer, box = figure.canvas.get_renderer(), figure.bbox
    cut = []
    for text in drawn_texts(figure):
        if text.get_visible() and text.get_text().strip():
            extent = text.get_window_extent(renderer)
            if extent.x0 < box.x0 - 1 or extent.y0 < box.y0 - 1 or extent.x1 > box.x1 + 1 or extent.y1 > box.y1 + 1:
                cut.append(text.get_text())
    return cut


# -- what a file's picture holds -----------------------------------------------------------------------------------
@pytest.mark.parametrize("format", FORMATS)
def test_a_files_picture_is_its_mean_image_with_outlines_scale_and_traces(written, format):
    with read(written[format]) as nwbfile:
        picture = picture_from_file(nwbfile)
        stored = np.asarray(nwbfile.acquisition["TwoPhotonSeries"].data[:], dtype="float64").mean(axis=0)
    (panel,) = picture.panels
    expected = stored if format == "ndx-microscopy" else stored.T  # legacy stores (x, y)
    np.testing.assert_allclose(panel.image, expected)
    assert panel.title == "TwoPhotonSeries: Green, GCaMP6s\nmean of 50 frames, 12 ROIs (2 rejected)"
    assert panel.pixel_um == 1.5
    source = disks()
    assert panel.outlines.accepted == tuple(k not in (2, 5) for k in range(12))
    for k, mask in enumerate(panel.outlines.masks):
        np.testing.assert_array_equal(mask, source.get_roi_image_masks()[:, :, k] > 0)
    (traces,) = picture.traces
    assert traces.quantity == "dF/F" and len(traces.ids) == 6 and "7" in traces.ids
    assert not {"2", "5"} & set(traces.ids)  # rejected ROIs are not shown
    shown = [int(i) for i in traces.ids]
    np.testing.assert_allclose(traces.values, source.get_traces(name="dff")[:, shown], rtol=1e-6)
    np.testing.assert_allclose(traces.times, np.arange(50) / 30.0)


def test_a_long_movie_says_how_many_frames_its_mean_holds(tmp_path, monkeypatch):
    path = segmented_session("legacy", frames=60).write(tmp_path / "long.nwb")
    monkeypatch.setattr(picture_sources, "MEAN_FRAMES", 25)
    monkeypatch.setattr(picture_sources, "BLOCK_BYTES", 3 * ROWS * COLUMNS * 2)  # blocks of 3 frames
    with read(path) as nwbfile:
        (panel,) = picture_from_file(nwbfile).panels
        first = np.asarray(nwbfile.acquisition["TwoPhotonSeries"].data[:25], dtype="float64").mean(axis=0).T
    assert panel.title.splitlines()[1].startswith("mean of the first 25 of 60 frames")
    np.testing.assert_allclose(panel.image, first)


@pytest.mark.parametrize("format", FORMATS)
def test_one_panel_per_channel_with_its_indicator(tmp_path, format):
    rig, space = rig_and_space()
    session = new_session(format)
    for channel, seed in (("Green", 1), ("Red", 2)):
        session.add(mb.SeriesBuilder(f"Movie{channel}").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS, seed=seed))
                    .rig(rig).channel(channel).space(space))
    with read(session.write(tmp_path / "two.nwb")) as nwbfile:
        titles = [p.title.splitlines()[0] for p in picture_from_file(nwbfile).panels]
    assert titles == ["MovieGreen: Green, GCaMP6s", "MovieRed: Red, tdTomato"]


@pytest.mark.parametrize("format", FORMATS)
def test_one_panel_per_plane_of_a_volume(tmp_path, format):
    rig, _ = rig_and_space()
    volume = mb.ImagingSpaceBuilder("Vol").volumetric(voxel_size_um=(2.0, 2.0, 20.0)).anatomical_target("VISp").line_scan()
    from roiextractors.testing import generate_dummy_imaging_extractor

    movie = generate_dummy_imaging_extractor(num_rows=20, num_columns=24, num_samples=12, num_planes=3, seed=3)
    session = new_session(format).add(mb.SeriesBuilder("Stack").from_extractor(movie).rig(rig).channel("Green").space(volume))
    with read(session.write(tmp_path / "volume.nwb")) as nwbfile:
        panels = picture_from_file(nwbfile).panels
    expected = movie.get_series().astype("float64").mean(axis=0)  # (rows, columns, planes)
    assert [p.title.splitlines()[-1] for p in panels] == ["plane 1 of 3", "plane 2 of 3", "plane 3 of 3"]
    for plane, panel in enumerate(panels):
        np.testing.assert_allclose(panel.image, expected[..., plane])
        assert panel.pixel_um == 2.0


def test_a_segmentation_without_its_movie_is_drawn_over_its_mean_image(tmp_path):
    rig, space = rig_and_space()
    session = new_session("legacy").add(
        mb.SegmentationBuilder("PlaneSegmentation").from_extractor(disks()).space(space).rig(rig, "Green"))
    with read(session.write(tmp_path / "rois.nwb")) as nwbfile:
        (panel,) = picture_from_file(nwbfile).panels
    assert panel.title == "PlaneSegmentation: ROIs over its mean image, 12 ROIs (2 rejected)"
    np.testing.assert_allclose(panel.image, disks().get_images_dict()["mean"], rtol=1e-6)


def test_pixel_masks_read_back_as_the_same_outlines(tmp_path):
    rig, space = rig_and_space()
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(rows=ROWS, columns=COLUMNS)).rig(rig).channel(
        "Green").space(space)
    session = new_session().add(series).add(
        mb.SegmentationBuilder("PlaneSegmentation").from_extractor(disks(frames=40)).series(series).masks("pixel"))
    with read(session.write(tmp_path / "pixel.nwb")) as nwbfile:
        (panel,) = picture_from_file(nwbfile).panels
    for k, mask in enumerate(panel.outlines.masks):
        np.testing.assert_array_equal(mask, disks().get_roi_image_masks()[:, :, k] > 0)


def test_a_session_pictures_its_sources_as_the_file_will_show_them(tmp_path, written):
    session = segmented_session("ndx-microscopy")
    before = picture_from_session(session.specs("series"), session.specs("segmentation"))
    with read(written["ndx-microscopy"]) as nwbfile:
        after = picture_from_file(nwbfile)
    assert [p.title for p in before.panels] == [p.title for p in after.panels]
    np.testing.assert_allclose(before.panels[0].image, after.panels[0].image)
    assert before.traces[0].ids == after.traces[0].ids and before.traces[0].title == after.traces[0].title
    found = colours(session.plot(tmp_path / "session.png"))
    assert found["green"] > 200 and found["red"] > 30


# -- the PNG -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("format", FORMATS)
def test_plot_draws_outlines_scale_bar_and_traces(tmp_path, written, format):
    out = tmp_path / f"{format}.png"
    done = run("plot", str(written[format]), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out}"
    found = colours(out)
    assert found["std"] > 20  # an image, not a blank canvas
    assert found["green"] > 200 and found["red"] > 30  # accepted and rejected outlines, told apart
    with read(written[format]) as nwbfile:
        figure = draw(picture_from_file(nwbfile))
    texts = [t.get_text() for t in drawn_texts(figure)]
    assert "20 µm" in texts  # 80 columns of 1.5 um: a fifth is 24 um, the bar 20 um
    assert "ROI 7 " in texts and any(t.endswith(" dF/F") for t in texts)
    assert texts_cut_by_the_edge(figure) == []


def test_the_demo_picture_shows_its_rois_without_clipping(tmp_path):
    path = demo_session("legacy", num_frames=60).write(tmp_path / "demo.nwb")
    with read(path) as nwbfile:
        picture = picture_from_file(nwbfile)
        figure = draw(picture)
    (panel,) = picture.panels
    covered = np.mean([m.mean() for m in panel.outlines.masks])
    assert len(panel.outlines.masks) == 25 and covered < 0.01  # disks, not masks over the whole frame
    inside = np.any(panel.outlines.masks, axis=0)
    assert panel.image[inside].mean() > 1.5 * panel.image[~inside].mean()  # the ROIs sit on bright cells
    assert texts_cut_by_the_edge(figure) == []
    assert colours(render(picture, tmp_path / "demo.png"))["green"] > 500


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path, written):
    code = ("import sys; sys.modules['matplotlib'] = None; from microscopy_builder.cli import main; "
            f"sys.exit(main(['plot', {str(written['legacy'])!r}, '-o', {str(tmp_path / 'none.png')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "pip install 'microscopy-builder[plot]'" in done.stderr
    assert not (tmp_path / "none.png").exists()
