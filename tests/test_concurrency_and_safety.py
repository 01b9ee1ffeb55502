"""Sessions written from several threads at once, one builder shared between threads, and where files go."""

from __future__ import annotations

import ast
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from roiextractors.testing import generate_dummy_imaging_extractor, generate_dummy_segmentation_extractor

import microscopy_builder as mb

from .conftest import new_session, read

SOURCE = Path(mb.__file__).resolve().parent


def test_sessions_written_from_several_threads_at_once_are_each_correct(tmp_path, rig, space):
    shared_series = mb.SeriesBuilder("TwoPhotonSeries").rig(rig).space(space)  # one builder, many threads

    def convert(index: int) -> Path:
        imaging = generate_dummy_imaging_extractor(num_rows=24, num_columns=30, num_samples=90, seed=index)
        segmentation = generate_dummy_segmentation_extractor(num_rows=24, num_columns=30, num_samples=90, seed=index)
        series = shared_series.from_extractor(imaging).description(f"movie {index}")
        session = new_session("legacy" if index % 2 else "ndx-microscopy", identifier=f"session-{index}")
        session.add(series).add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(segmentation).series(series))
        return session.write(tmp_path / f"s{index}.nwb", max_workers=2)

    with ThreadPoolExecutor(max_workers=6) as pool:
        paths = list(pool.map(convert, range(12)))
    # the shared builder never changed
    assert shared_series.draft.get("source") is None and shared_series.draft.get("description") is None
    for index, path in enumerate(paths):
        expected = generate_dummy_imaging_extractor(num_rows=24, num_columns=30, num_samples=90, seed=index).get_series()
        with read(path) as nwbfile:
            assert nwbfile.identifier == f"session-{index}"
            movie = nwbfile.acquisition["TwoPhotonSeries"]
            assert movie.description == f"movie {index}"
            np.testing.assert_array_equal(movie.data[:], expected.transpose(0, 2, 1) if index % 2 else expected)
            assert len(nwbfile.processing["ophys"].data_interfaces) >= 2


def test_nothing_is_written_outside_the_path_given(tmp_path, rig, space, monkeypatch):
    """Only the destination appears: no temporary file elsewhere, none in the working folder."""
    work, out, elsewhere = tmp_path / "cwd", tmp_path / "out", tmp_path / "tmp"
    for folder in (work, out, elsewhere):
        folder.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(elsewhere))
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))  # the system's temporary folder, here
    imaging = generate_dummy_imaging_extractor(num_rows=24, num_columns=30, num_samples=90)
    for backend, name in (("hdf5", "a.nwb"), ("zarr", "b.nwb.zarr")):
        new_session().add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space)).write(
            out / name, backend=backend)
    assert sorted(p.name for p in out.iterdir()) == ["a.nwb", "b.nwb.zarr"]
    assert list(work.iterdir()) == [] and list(elsewhere.iterdir()) == []


def test_the_library_never_unpickles_or_evaluates_data():
    """No pickle, no eval/exec, no np.load(allow_pickle=...) anywhere in the package's source.

    The one exception is safe_pickle.py's restricted unpickler, which reads pickled data files to
    refuse them before an extractor does; it may import pickle, but never calls pickle.load(s).
    """
    offenders = []
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and path.name != "safe_pickle.py":
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                offenders += [f"{path.name}: imports {n}" for n in names if n.split(".")[0] in ("pickle", "dill", "cloudpickle", "marshal")]
            if isinstance(node, ast.Attribute) and node.attr in ("load", "loads", "Unpickler") and getattr(node.value, "id", None) == "pickle":
                if not (path.name == "safe_pickle.py" and node.attr == "Unpickler"):  # subclassed, find_class restricted
                    offenders.append(f"{path.name}:{node.lineno}: pickle.{node.attr}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("eval", "exec"):
                offenders.append(f"{path.name}:{node.lineno}: {node.func.id}()")
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                offenders.append(f"{path.name}:{node.value.lineno}: allow_pickle")
    assert offenders == []
