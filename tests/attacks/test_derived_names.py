"""Names the library derives from free text (a device's ``model=``, a channel's ``indicator=``) are not
checked like builder names: hostile text crashes the write with a raw error, or writes an unreadable file.

Expected (issue 11, reliability.md "A name that would make the file unreadable is refused when it is
add()ed"): a ValidationError at add(), or a file that reads back."""

from __future__ import annotations

import warnings

import pytest

import microscopy_builder as mb
from common import imaging, read, session, space

TEXTS = ["A\x00B", ".", "..", "  ", ".zgroup", ".zattrs", ".zarray"]
BACKENDS = (("hdf5", "nwb"), ("zarr", "nwb.zarr"))


def rig_with(model="P1", indicator="GCaMP6s"):
    return (mb.RigBuilder("R").microscope(manufacturer="T", model="Scope")
            .photodetector("PMT", manufacturer="H", model=model, detector_type="PMT")
            .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator=indicator))


def refused_at_add_or_readable(tmp_path, format, backend, suffix, rig):
    s = session(format)
    try:
        s.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging()[0]).rig(rig).space(space()))
    except mb.ValidationError:
        return "refused at add"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = s.write(tmp_path / f"out.{suffix}", backend=backend)  # a raw ValueError/RuntimeError/KeyError here is the finding
    with read(path) as nwbfile:  # an exception here: an unreadable "success"
        assert nwbfile.devices
    return "written and readable"


@pytest.mark.parametrize("text", TEXTS, ids=repr)
@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", ("ndx-microscopy", "legacy"))
def test_device_model_text(tmp_path, format, backend, suffix, text):
    refused_at_add_or_readable(tmp_path, format, backend, suffix, rig_with(model=text))


@pytest.mark.parametrize("text", TEXTS, ids=repr)
@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", ("ndx-microscopy", "legacy"))
def test_indicator_text(tmp_path, format, backend, suffix, text):
    refused_at_add_or_readable(tmp_path, format, backend, suffix, rig_with(indicator=text))
