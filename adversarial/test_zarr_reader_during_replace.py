"""reliability.md: Zarr stores "are exchanged in one step (renameat2(RENAME_EXCHANGE)), so a reader always finds one
of them". A reader that opened the old store keeps reading by path: after the exchange its old metadata reads the
new store's chunks (silently other data), or fails once the old store is deleted. An HDF5 reader keeps the old file."""

from __future__ import annotations

import numpy as np
import pytest
from hdmf_zarr.nwb import NWBZarrIO
from pynwb import NWBHDF5IO
from roiextractors import NumpyImagingExtractor

import microscopy_builder as mb
from common import rig, session, space


def constant(value):
    data = np.full((64, 9, 13, 1), value, dtype="uint16")
    return mb.SeriesBuilder("S").from_extractor(NumpyImagingExtractor(data, sampling_frequency=10.0)).rig(rig()).space(space())


@pytest.mark.parametrize("backend,suffix,reader", (("hdf5", "nwb", NWBHDF5IO), ("zarr", "nwb.zarr", NWBZarrIO)))
def test_a_reader_of_the_old_file_reads_the_old_data_or_fails_loudly(tmp_path, backend, suffix, reader):
    path = tmp_path / f"x.{suffix}"
    session().add(constant(1)).write(path, backend=backend)
    io = reader(str(path), mode="r")
    try:
        nwbfile = io.read()  # metadata read; data is read lazily
        session().add(constant(2)).write(path, backend=backend, overwrite=True)  # another process, say
        try:
            values = set(np.unique(np.asarray(nwbfile.acquisition["S"].data[:])).tolist())
        except Exception as error:  # noqa: BLE001 - failing loudly is acceptable
            pytest.skip(f"the reader failed loudly: {type(error).__name__}")
    finally:
        io.close()
    assert values == {1}, f"the reader of the old {backend} file silently read the new file's data: {values}"
