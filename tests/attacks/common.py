"""Shared helpers of the attack tests: each asserts what the library promises, as an adversary tries it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from pynwb import NWBHDF5IO
from roiextractors import NumpyImagingExtractor, NumpySegmentationExtractor

import microscopy_builder as mb

START = dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.timezone.utc)
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PYTHON = sys.executable


def rig(name="Bergamo", **channel):
    channel = {"excitation_wavelength_nm": 920.0, "emission_wavelength_nm": 525.0, "indicator": "GCaMP6s", **channel}
    return (mb.RigBuilder(name).microscope(manufacturer="Thorlabs", model="Bergamo II")
            .channel(channel.pop("name", "Green"), **channel))


def space(name="V1"):
    return mb.ImagingSpaceBuilder(name).planar(pixel_size_um=(1.0, 1.0)).anatomical_target("VISp").line_scan()


def session(format="ndx-microscopy"):
    return mb.Session(session_description="adversarial", session_start_time=START, format=format,
                      subject={"subject_id": "m1", "species": "Mus musculus", "sex": "F", "age": "P90D"})


def movie(frames=20, rows=9, columns=13, dtype="uint16", seed=0):
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 60000, size=(frames, rows, columns)).astype("float64")
    if np.dtype(dtype).kind == "f":
        values = values * 1.25 + 0.5
    return values.astype(dtype)


def imaging(frames=20, rows=9, columns=13, dtype="uint16", seed=0, rate=20.0):
    data = movie(frames, rows, columns, dtype, seed)
    return NumpyImagingExtractor(data[..., None], sampling_frequency=rate), data


def series(name="TwoPhotonSeries", source=None, **kw):
    source = source if source is not None else imaging(**kw)[0]
    return mb.SeriesBuilder(name).from_extractor(source).rig(rig()).space(space())


@contextmanager
def read(path):
    path = Path(path)
    if path.is_dir():
        from hdmf_zarr.nwb import NWBZarrIO

        io = NWBZarrIO(str(path), mode="r")
    else:
        io = NWBHDF5IO(str(path), mode="r")
    try:
        yield io.read()
    finally:
        io.close()


def run_child(code: str, *, timeout=120, check=True, env=None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with this tree's src on the path."""
    environment = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}", **(env or {})}
    done = subprocess.run([PYTHON, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout,
                          env=environment, cwd=REPO)
    if check and done.returncode != 0:
        raise AssertionError(f"child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def popen_child(code: str, env=None) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}", **(env or {})}
    return subprocess.Popen([PYTHON, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=environment, cwd=REPO)
