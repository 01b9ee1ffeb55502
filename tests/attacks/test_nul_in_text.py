"""NUL characters in free text (descriptions, manufacturers, subject fields) pass every check and crash
the write with h5py's "VLEN strings do not support embedded NULLs" (or, in Zarr, are written). Expected:
a ValidationError naming the field, raised by add()/validate() before anything is written (as for names)."""

from __future__ import annotations

import pytest

import microscopy_builder as mb
from common import START, imaging, space


def describe(where):
    rig = (mb.RigBuilder("R").microscope(manufacturer="T\x00X" if where == "manufacturer" else "T", model="Scope")
           .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s",
                    description="Green\x00channel" if where == "channel description" else "Green channel"))
    sp = space().description("Layer\x002/3" if where == "space description" else "L2/3")
    fields = {"session_description": "s\x00d" if where == "session_description" else "sd",
              "experimenter": ["Doe,\x00Jane"] if where == "experimenter" else ["Doe, Jane"],
              "subject": {"subject_id": "m\x001" if where == "subject_id" else "m1", "species": "Mus musculus",
                          "sex": "F", "age": "P90D"}}
    session = mb.Session(session_start_time=START, **fields)
    return session.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging()[0]).rig(rig).space(sp))


@pytest.mark.parametrize("where", ["manufacturer", "channel description", "space description", "session_description",
                                   "experimenter", "subject_id"])
def test_nul_in_text_is_refused_before_writing(tmp_path, where):
    with pytest.raises(mb.ValidationError):
        s = describe(where)
        s.validate().raise_for_errors()
        s.write(tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists()
