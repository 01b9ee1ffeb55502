"""Chunks compressed by every deflate encoder installed stay standard: plain h5py / zarr / zlib read them.

Each test writes a real NWB file (pynwb / hdmf) through ``Session.write``, then opens the stored
chunks with h5py or zarr alone and inflates them with Python's own ``zlib``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zlib

import h5py
import numcodecs
import numpy as np
import pytest
import zarr
from roiextractors import NumpyImagingExtractor
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb
from microscopy_builder.io import compressor
from microscopy_builder.io.chunking import ImagingDataIterator
from microscopy_builder.io.backends import HDF5, ZARR
from microscopy_builder.io.parallel import fill_dataset

from .conftest import BACKENDS, new_session, read

CHUNKS = (32, 20, 32)  # on 70 x 40 x 52 frames: tiles and edge chunks along every axis
ENCODERS = compressor.installed()


def movie(frames=70, rows=40, columns=52, seed=5):
    return generate_dummy_imaging_extractor(num_rows=rows, num_columns=columns, num_samples=frames, dtype="uint16", seed=seed)


def write(tmp_path, rig, space, backend, suffix, imaging=None, level=4, name="m"):
    imaging = imaging or movie()
    session = new_session().add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space))
    path = session.write(tmp_path / f"{name}.{suffix}", backend=backend, max_workers=2,
                         compression=mb.DatasetConfiguration(compression_level=level, chunk_shape=CHUNKS))
    return path, imaging


def stored_chunk(path, backend, index):
    """The stored bytes of the chunk at grid ``index``, and the dataset's declared codec."""
    if backend == "hdf5":
        with h5py.File(path, "r") as file:
            data = file["acquisition/TwoPhotonSeries/data"]
            plist = data.id.get_create_plist()
            filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
            offset = tuple(i * c for i, c in zip(index, data.chunks))
            return data.id.read_direct_chunk(offset)[1], (filters, data.compression_opts, data.chunks)
    array = zarr.open_group(str(path), mode="r")["acquisition/TwoPhotonSeries/data"]
    key = f"{array.path}/{'.'.join(map(str, index))}"
    return array.chunk_store[key], (array.compressor.codec_id, array.compressor.level, array.chunks)


def expected_chunk(imaging, index):
    """The source frames of one chunk, padded with zeros to the full chunk shape as stored."""
    frames = imaging.get_series()
    padded = np.zeros(CHUNKS, dtype=frames.dtype)
    region = tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(index, CHUNKS, frames.shape))
    padded[tuple(slice(0, r.stop - r.start) for r in region)] = frames[region]
    return padded


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("encoder", ENCODERS)
def test_every_encoder_writes_chunks_plain_zlib_reads(tmp_path, rig, space, monkeypatch, backend, suffix, encoder):
    monkeypatch.setenv(compressor.ENVIRONMENT_VARIABLE, encoder)
    path, imaging = write(tmp_path, rig, space, backend, suffix)
    container = "zlib" if backend == "hdf5" else "gzip"
    used = compressor.deflater(4, container)
    assert used.implementation == encoder
    for index in ((0, 0, 0), (2, 1, 1)):  # a full chunk and the corner edge chunk (padded)
        payload, codec = stored_chunk(path, backend, index)
        if backend == "hdf5":
            assert codec == ([h5py.h5z.FILTER_DEFLATE], 4, CHUNKS)  # filter id 1 alone, the level asked for
            raw = zlib.decompress(payload)
        else:
            assert codec == ("gzip", 4, CHUNKS)  # numcodecs GZip: a gzip header, not a bare zlib stream
            assert bytes(payload[:2]) == b"\x1f\x8b"
            raw = zlib.decompress(payload, wbits=16 + zlib.MAX_WBITS)
        expected = expected_chunk(imaging, index)
        assert raw == expected.tobytes()
        assert bytes(payload) == bytes(used(expected))  # these bytes are the forced encoder's
    with read(path) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["TwoPhotonSeries"].data[:], imaging.get_series())


@pytest.mark.parametrize("level", range(10))
def test_every_gzip_level_is_served_by_an_installed_encoder(level):
    for container in compressor.CONTAINERS:
        chosen = compressor.deflater(level, container)
        assert chosen.implementation in ENCODERS
        assert chosen.level in compressor.IMPLEMENTATIONS[chosen.implementation][1]
        data = expected_chunk(movie(frames=32), (0, 0, 0))
        wbits = zlib.MAX_WBITS if container == "zlib" else 16 + zlib.MAX_WBITS
        stream = chosen(data)
        assert zlib.decompress(stream, wbits=wbits) == data.tobytes()
        if level == 0:  # stored blocks: no compression, as gzip -0
            assert len(stream) > data.nbytes


def test_the_plan_names_only_known_encoders_and_their_own_levels():
    for level, plan in compressor.LEVEL_PLAN.items():
        assert 1 <= level <= 9 and plan
        for name, own_level in plan:
            assert own_level in compressor.IMPLEMENTATIONS[name][1], (level, name, own_level)
    assert set(compressor.LEVEL_PLAN) == set(range(1, 10))


FALLBACK_CHILD = textwrap.dedent(
    """
    import json, sys
    for name in ("isal", "deflate", "zlib_ng"):  # as on a machine where none of them is installed
        sys.modules[name] = None
    import h5py
    from microscopy_builder.io import compressor
    from tests.test_compression import write_in_child

    print(json.dumps({"installed": compressor.installed(), "chosen": compressor.deflater(4).implementation,
                      "written": write_in_child(sys.argv[1], sys.argv[2])}))
    """
)


def write_in_child(folder: str, backend: str) -> dict:
    """Write the test movie with the default level; the first chunk's stored bytes (hex) and its source."""
    import datetime as dt
    from pathlib import Path

    rig = mb.RigBuilder("R").microscope(manufacturer="T", model="B").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    session = mb.Session(session_description="fallback", session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    session.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(movie()).rig(rig).space(space))
    suffix = "nwb" if backend == "hdf5" else "nwb.zarr"
    path = session.write(Path(folder) / f"fallback.{suffix}", backend=backend, max_workers=2, progress=False,
                         compression=mb.DatasetConfiguration(chunk_shape=CHUNKS))
    payload, _ = stored_chunk(path, backend, (0, 0, 0))
    return {"path": str(path), "payload": bytes(payload).hex()}


@pytest.mark.parametrize("backend", ["hdf5", "zarr"])
def test_without_the_fast_encoders_zlib_writes_the_same_standard_chunks(tmp_path, backend):
    done = subprocess.run([sys.executable, "-c", FALLBACK_CHILD, str(tmp_path), backend], capture_output=True,
                          text=True, check=True, timeout=300, cwd=str(_repo_root()))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["installed"] == ["zlib"] and report["chosen"] == "zlib"
    payload = bytes.fromhex(report["written"]["payload"])
    expected = expected_chunk(movie(), (0, 0, 0)).tobytes()
    wbits = zlib.MAX_WBITS if backend == "hdf5" else 16 + zlib.MAX_WBITS
    assert zlib.decompress(payload, wbits=wbits) == expected
    assert payload == zlib.compress(expected, 4, wbits)  # Python's zlib at the level asked for
    with read(report["written"]["path"]) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["TwoPhotonSeries"].data[:], movie().get_series())


def _repo_root():
    from pathlib import Path

    return Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value,fragment", [("snappy", "must be one of auto, isal"), ("ISAL ", None)])
def test_the_environment_variable_is_checked_before_anything_is_written(tmp_path, rig, space, monkeypatch, value, fragment):
    monkeypatch.setenv(compressor.ENVIRONMENT_VARIABLE, value)
    session = new_session().add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(movie()).rig(rig).space(space))
    if fragment is None:  # names are read case- and space-insensitively
        if "isal" not in ENCODERS:
            pytest.skip("isal is not installed")
        session.write(tmp_path / "ok.nwb", progress=False)
        assert compressor.deflater(4).implementation == "isal"
        return
    with pytest.raises(mb.ValidationError, match=f"{compressor.ENVIRONMENT_VARIABLE}='snappy': {fragment}"):
        session.write(tmp_path / "x.nwb", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_an_uninstalled_encoder_named_in_the_environment_is_refused(tmp_path):
    child = textwrap.dedent(
        """
        import os, sys
        sys.modules["isal"] = None
        os.environ["MICROSCOPY_BUILDER_DEFLATE"] = "isal"
        from microscopy_builder.errors import ValidationError
        from microscopy_builder.io import compressor
        try:
            compressor.deflater(4)
        except ValidationError as error:
            print(error)
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True, timeout=120)
    assert "MICROSCOPY_BUILDER_DEFLATE='isal': its package 'isal' is not installed" in done.stdout


@pytest.mark.filterwarnings("ignore:The NestedDirectoryStore is deprecated:FutureWarning")
def test_other_filters_and_codecs_are_left_to_h5py_and_zarr(tmp_path):
    imaging = movie(frames=70)
    source = ImagingDataIterator(imaging, swap_xy=False, chunk_shape=CHUNKS)
    frames = imaging.get_series()
    with h5py.File(tmp_path / "f.h5", "w") as file:
        shuffled = file.create_dataset("shuffled", shape=frames.shape, dtype="u2", chunks=CHUNKS, compression="gzip",
                                       compression_opts=4, shuffle=True)
        other_level = file.create_dataset("level6", shape=frames.shape, dtype="u2", chunks=CHUNKS, compression="gzip",
                                          compression_opts=6)
        assert HDF5.direct_chunks(shuffled, 4) is None and HDF5.direct_chunks(other_level, 4) is None
        fill_dataset(shuffled, source, backend=HDF5, compression_level=4, max_workers=2)
        np.testing.assert_array_equal(shuffled[:], frames)
    nested = zarr.open_array(zarr.storage.NestedDirectoryStore(str(tmp_path / "nested.zarr")), mode="w",
                             shape=frames.shape, chunks=CHUNKS, dtype="u2", compressor=numcodecs.GZip(level=4))
    blosc = zarr.open_array(str(tmp_path / "blosc.zarr"), mode="w", shape=frames.shape, chunks=CHUNKS, dtype="u2")
    for array in (nested, blosc):
        assert ZARR.direct_chunks(array, 4) is None
        fill_dataset(array, source, backend=ZARR, compression_level=4, max_workers=2)
        np.testing.assert_array_equal(array[:], frames)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_big_endian_frames_are_stored_as_the_dataset_declares(tmp_path, rig, space, backend, suffix):
    """ImageJ TIFFs are big-endian: stored chunks are in the dataset's own byte order whatever the source's."""
    values = np.random.default_rng(2).integers(0, 60000, size=(70, 40, 52, 1)).astype(">u2")
    imaging = NumpyImagingExtractor(timeseries=values, sampling_frequency=10.0)
    path, _ = write(tmp_path, rig, space, backend, suffix, imaging=imaging)
    with read(path) as nwbfile:
        data = nwbfile.acquisition["TwoPhotonSeries"].data
        np.testing.assert_array_equal(np.asarray(data[:]).astype("u2"), values[..., 0].astype("u2"))


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_uncompressed_chunks_are_stored_directly_and_read_back(tmp_path, rig, space, backend, suffix):
    imaging = movie()
    session = new_session().add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging).rig(rig).space(space))
    path = session.write(tmp_path / f"raw.{suffix}", backend=backend, max_workers=2,
                         compression=mb.DatasetConfiguration(compression=None, chunk_shape=CHUNKS))
    edge = expected_chunk(imaging, (2, 1, 1)).tobytes()  # padded, as both formats store edge chunks
    if backend == "hdf5":
        with h5py.File(path, "r") as file:
            data = file["acquisition/TwoPhotonSeries/data"]
            assert data.compression is None and data.id.get_create_plist().get_nfilters() == 0
            assert data.id.read_direct_chunk((64, 20, 32))[1] == edge
    else:
        array = zarr.open_group(str(path), mode="r")["acquisition/TwoPhotonSeries/data"]
        assert array.compressor is None
        assert bytes(array.chunk_store[f"{array.path}/2.1.1"]) == edge
    with read(path) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["TwoPhotonSeries"].data[:], imaging.get_series())


def test_mostly_zero_masks_are_deflated_by_the_encoder_that_serves_them():
    """ISA-L's level 3 suits noisy movies but is larger and slower on dense ROI masks (zero outside each
    ROI): the masks' plan uses its level 2, and the stream stays standard zlib."""
    import zlib

    from microscopy_builder.io.compressor import deflater, installed

    if "isal" not in installed():
        pytest.skip("isal is not installed: both plans fall back to the same encoder")
    yy, xx = np.mgrid[:256, :256]
    masks = np.zeros((4, 256, 256), dtype="float32")
    for k, (cy, cx) in enumerate([(40, 50), (120, 200), (200, 80), (90, 130)]):
        disk = (yy - cy) ** 2 + (xx - cx) ** 2 <= 36
        masks[k][disk] = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2)[disk] / 50.0)
    raw = masks.tobytes()
    dense, sparse = deflater(4), deflater(4, content="sparse")
    assert (dense.implementation, dense.level, sparse.implementation, sparse.level) == ("isal", 3, "isal", 2)
    assert len(sparse(raw)) < len(dense(raw))
    assert zlib.decompress(sparse(raw)) == raw
