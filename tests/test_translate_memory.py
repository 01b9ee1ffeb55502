"""A translation streams: a 1.5 GB movie goes from one file to another under 400 MiB peak, measured in a fresh process.

The source is a real NWB file written by pynwb whose 1.5 GB movie is stored lazily: its first chunk
holds data, the others are HDF5's fill value, stored nowhere and read back as zeros. Reading it is
cheap, so the test is fast, while every frame still passes through the translation's read, compress
and write buffers as any movie's would.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import numpy as np
from hdmf.data_utils import AbstractDataChunkIterator, DataChunk
from pynwb import H5DataIO, NWBHDF5IO, NWBFile
from pynwb.device import Device
from pynwb.ophys import ImagingPlane, OpticalChannel, TwoPhotonSeries

FRAMES, SIDE, CHUNK = 2860, 512, (16, 128, 128)  # 2860 x 512 x 512 uint16 = 1.5 GB

CHILD = textwrap.dedent(
    """
    import json, sys, time, warnings
    import numpy as np
    import microscopy_builder as mb
    from pynwb import NWBHDF5IO
    def peak_kib():  # this process's own high-water mark: ru_maxrss would start at the pytest parent's peak
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    source, destination = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # placeholders for what the by-hand file leaves out
        mb.translate(source, destination, format="ndx-microscopy", progress=False, max_workers=2)
    seconds = time.perf_counter() - start
    peak = peak_kib()
    with NWBHDF5IO(source, "r") as first, NWBHDF5IO(destination, "r") as second:
        stored, written = first.read().acquisition["TwoPhotonSeries"].data, second.read().acquisition["TwoPhotonSeries"].data
        same = bool(np.array_equal(stored[:16].transpose(0, 2, 1), written[:16])
                    and np.array_equal(stored[-4:].transpose(0, 2, 1), written[-4:]))
        shape = list(written.shape)
    print(json.dumps({"peak_mib": peak / 1024, "seconds": seconds, "same": same, "shape": shape}))
    """
)


class FirstChunkOnly(AbstractDataChunkIterator):
    """A movie of ``shape`` of which only the first chunk is written (hdmf creates the whole dataset)."""

    def __init__(self, shape: tuple[int, ...], chunk: tuple[int, ...]):
        self.shape, self.chunk, self.done = shape, chunk, False

    def __iter__(self) -> FirstChunkOnly:
        return self

    def __next__(self) -> DataChunk:
        if self.done:
            raise StopIteration
        self.done = True
        data = np.random.default_rng(0).integers(0, 4000, size=self.chunk, dtype="uint16")
        return DataChunk(data=data, selection=tuple(slice(0, n) for n in self.chunk))

    def recommended_chunk_shape(self) -> tuple[int, ...]:
        return self.chunk

    def recommended_data_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def dtype(self) -> np.dtype:
        return np.dtype("uint16")

    @property
    def maxshape(self) -> tuple[int, ...]:
        return self.shape


def write_lazy_movie(path) -> None:
    nwbfile = NWBFile(session_description="a long movie", identifier="lazy",
                      session_start_time=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    device = Device(name="Microscope", description="A two-photon microscope.")
    nwbfile.add_device(device)
    plane = ImagingPlane(name="ImagingPlane", optical_channel=[OpticalChannel(name="Green", description="Green channel.",
                         emission_lambda=525.0)], description="Layer 2/3 of V1.", device=device, excitation_lambda=920.0,
                         indicator="GCaMP6s", location="VISp", grid_spacing=[1.0, 1.0], grid_spacing_unit="micrometers")
    nwbfile.add_imaging_plane(plane)
    data = H5DataIO(FirstChunkOnly((FRAMES, SIDE, SIDE), CHUNK), compression="gzip", compression_opts=4, chunks=CHUNK)
    nwbfile.add_acquisition(TwoPhotonSeries(name="TwoPhotonSeries", data=data, imaging_plane=plane, rate=30.0, unit="n.a."))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


def test_a_translated_movie_of_1_5_gb_streams_under_400_mib(tmp_path):
    source = tmp_path / "long.nwb"
    write_lazy_movie(source)
    assert source.stat().st_size < 5 * 1024**2  # the movie is stored lazily
    done = subprocess.run([sys.executable, "-c", CHILD, str(source), str(tmp_path / "upgraded.nwb")],
                          capture_output=True, text=True, check=True, timeout=600)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print(measured)
    movie_mib = FRAMES * SIDE * SIDE * 2 / 1024**2
    assert movie_mib > 1400
    assert measured["shape"] == [FRAMES, SIDE, SIDE] and measured["same"]
    assert measured["peak_mib"] < 400, measured
