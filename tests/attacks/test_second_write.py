"""A second write() of a session copies the first file: never what another writer made of it since (a
ValidationError says so instead)."""

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
    with pytest.raises(mb.ValidationError, match="was changed .* since"):
        s.write(tmp_path / "b.nwb")
    assert not (tmp_path / "b.nwb").exists()


def test_a_second_write_after_the_first_file_was_replaced(tmp_path):
    s = session().add(series("Mine"))
    s.write(tmp_path / "a.nwb")
    session().add(series("SomeoneElses", seed=9)).write(tmp_path / "a.nwb", overwrite=True)
    with pytest.raises(mb.ValidationError, match="was changed .* since"):
        s.write(tmp_path / "b.nwb")


def test_an_untouched_first_file_is_copied(tmp_path):
    s = session().add(series("Mine"))
    s.write(tmp_path / "a.nwb")
    s.write(tmp_path / "b.nwb")
    with read(tmp_path / "b.nwb") as nwbfile:
        assert sorted(nwbfile.acquisition) == ["Mine"]


def test_a_second_write_after_the_first_file_was_deleted_is_a_clear_error(tmp_path):
    s = session().add(series("Mine"))
    s.write(tmp_path / "a.nwb")
    (tmp_path / "a.nwb").unlink()
    with pytest.raises(mb.ValidationError):
        s.write(tmp_path / "b.nwb")
