"""tests/test_names.py's every-reserved-name loop, written to Zarr instead of HDF5 (the suite only writes HDF5),
and with the remaining device kinds (excitation source, filters, objective, microscope) that it does not name."""

from __future__ import annotations

import shutil
import sys
import warnings

import pytest

import microscopy_builder as mb
from common import REPO, imaging, read, session, space

sys.path.insert(0, str(REPO))
from tests.test_names import describe, found_in, names_for  # noqa: E402


@pytest.mark.parametrize("kind", ["space", "channel", "series", "detector", "rig", "indicator", "segmentation", "trace", "image"])
@pytest.mark.parametrize("format", ("ndx-microscopy", "legacy"))
def test_every_reserved_name_in_zarr(tmp_path, format, kind):
    failures = []
    for index, name in enumerate(names_for(format, kind)):
        series, segmentation = describe(kind, name)
        s = session(format)
        try:
            s.add(series).add(segmentation)
        except mb.BuilderError:
            continue
        path = tmp_path / f"{kind}-{index}.nwb.zarr"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s.write(path, backend="zarr")
            with read(path) as nwbfile:
                assert found_in(nwbfile, name) or kind in ("detector", "rig", "indicator", "space", "image")
        except Exception as error:  # noqa: BLE001
            failures.append(f"{name!r}: {type(error).__name__}: {str(error)[:100]}")
        shutil.rmtree(path, ignore_errors=True)
    assert not failures, failures


DEVICE_NAMES = ["models", "microscope", "description", "manufacturer", "Green", "V1", "TwoPhotonSeries", "GCaMP6s",
                "R", "Scope"]


@pytest.mark.parametrize("slot", ["excitation_source", "emission_filter", "excitation_filter", "objective_lens",
                                  "dichroic_mirror", "microscope"])
@pytest.mark.parametrize("backend,suffix", (("hdf5", "nwb"), ("zarr", "nwb.zarr")))
@pytest.mark.parametrize("format", ("ndx-microscopy", "legacy"))
def test_every_device_kind_under_names_it_may_clash_with(tmp_path, format, backend, suffix, slot):
    failures = []
    for index, name in enumerate(DEVICE_NAMES):
        r = mb.RigBuilder("R").microscope(manufacturer="T", model="Scope")
        r = r.microscope(name=name, manufacturer="T", model="Scope") if slot == "microscope" else getattr(r, slot)(
            name, manufacturer="M", model=f"Model{index}")
        r = r.channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
        s = session(format)
        try:
            s.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging()[0]).rig(r).space(space()))
        except mb.BuilderError:
            continue
        path = tmp_path / f"{slot}-{index}.{suffix}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s.write(path, backend=backend)
            with read(path) as nwbfile:
                assert name in nwbfile.devices, sorted(nwbfile.devices)
        except Exception as error:  # noqa: BLE001
            failures.append(f"{name!r}: {type(error).__name__}: {str(error)[:120]}")
    assert not failures, failures
