"""A second write() of a session "exports the first file to the new path" (Session.write notes): whatever that
file holds by then, including what another writer put there."""

from __future__ import annotations

import warnings

import pytest

import microscopy_builder as mb
from common import read, series, session


def test_a_second_write_holds_this_session_not_what_the_first_file_became(tmp_path):
    s = session().add(series("Mine"))
    s.write(tmp_path / "a.nwb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mb.Session.open(tmp_path / "a.nwb") as other:  # a colleague appends to a.nwb meanwhile
            other.add(series("Theirs", seed=4))
            other.write()
    s.write(tmp_path / "b.nwb")
    with read(tmp_path / "b.nwb") as nwbfile:
        held = sorted(nwbfile.acquisition)
    assert held == ["Mine"], f"b.nwb, written from a session holding only 'Mine', holds {held}"


def test_a_second_write_after_the_first_file_was_replaced(tmp_path):
    s = session().add(series("Mine"))
    s.write(tmp_path / "a.nwb")
    session().add(series("SomeoneElses", seed=9)).write(tmp_path / "a.nwb", overwrite=True)
    s.write(tmp_path / "b.nwb")
    with read(tmp_path / "b.nwb") as nwbfile:
        held = sorted(nwbfile.acquisition)
    assert held == ["Mine"], f"b.nwb, written from a session holding only 'Mine', holds {held}"


def test_a_second_write_after_the_first_file_was_deleted_is_a_clear_error(tmp_path):
    s = session().add(series("Mine"))
    s.write(tmp_path / "a.nwb")
    (tmp_path / "a.nwb").unlink()
    with pytest.raises(mb.ValidationError):
        s.write(tmp_path / "b.nwb")
