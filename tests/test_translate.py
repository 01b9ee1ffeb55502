"""Translation between the two layouts, measured field by field with the tests' own reader.

Every case of :mod:`tests.translation_cases` in both formats and both backends:

* ndx-microscopy -> ndx-microscopy: the same file, every object and field (ids and identifier aside);
* legacy -> ndx-microscopy -> legacy: every field of the legacy file survives;
* ndx-microscopy -> legacy -> ndx-microscopy: every field that changes was named in a
  ``CompatibilityWarning`` when translating down.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import microscopy_builder as mb

from .conftest import BACKENDS, new_session, read
from .nwb_compare import differences
from .translation_cases import CASES


def write_case(folder: Path, case: str, format: str, backend: str, suffix: str) -> Path:
    session = new_session(format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item in CASES[case](format):
            session.add(item)
        return session.write(folder / f"original_{format}.{suffix}", backend=backend)


def translated(source: Path, destination: Path, format: str) -> tuple[Path, list[str]]:
    """``mb.translate`` and the ``CompatibilityWarning`` messages it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = mb.translate(source, destination, format=format)
    return written, [str(w.message) for w in caught if issubclass(w.category, mb.CompatibilityWarning)]


def reported(difference: str, messages: list[str]) -> bool:
    """Whether a difference (``path: field: a != b`` or ``path: only in ...``) is named by a warning: one quoting
    the name of an object the difference is about (on its path, or a link it shows), and saying a word of the
    field (or, for an object that is gone, of the object's name)."""
    path, _, rest = difference.partition(": ")
    field = path.split("/")[-1] if rest.startswith("only in") else rest.split(":")[0]
    words = {w for w in field.lower().split("_") if len(w) > 2} | {field.lower().replace("_", "")}
    for message in messages:
        named = re.findall(r"'([^']+)'", message)
        plain = message.lower().replace(" ", "").replace("_", "")
        if any(name in difference for name in named) and any(w in plain for w in words):
            return True
    return False


def suffix_of(backend: str) -> str:
    return dict(BACKENDS)[backend]


def unreported_differences(first, second, messages: list[str]) -> list[str]:
    """Differences no warning names; an object only in one file is named when an object holding it is."""
    found, named_gone = [], set()
    for difference in differences(first, second):
        path = difference.partition(": ")[0]
        gone = difference.endswith(("only in the first file", "only in the second file"))
        if gone and any(path.startswith(f"{parent}/") for parent in named_gone):
            continue
        if reported(difference, messages):
            named_gone |= {path} if gone else set()
        else:
            found.append(difference)
    return found


@pytest.mark.parametrize("backend", ["hdf5", "zarr"])
@pytest.mark.parametrize("case", list(CASES))
def test_ndx_microscopy_translated_to_itself_is_the_same_file_and_down_and_up_loses_only_what_it_reports(
    tmp_path, case, backend
):
    suffix = suffix_of(backend)
    original = write_case(tmp_path, case, "ndx-microscopy", backend, suffix)
    again, messages = translated(original, tmp_path / f"again.{suffix}", "ndx-microscopy")
    assert messages == []
    with read(original) as first, read(again) as second:
        assert differences(first, second) == []
        for name, series in first.acquisition.items():  # data bit-exact, not only equal
            if hasattr(series, "data"):
                assert series.data.dtype == second.acquisition[name].data.dtype
                assert np.array_equal(series.data[:], second.acquisition[name].data[:])
    # down and up through HDF5 files whatever the original's backend (Zarr writes are slow to flush)
    down, messages = translated(original, tmp_path / "down.nwb", "legacy")
    up, _ = translated(down, tmp_path / "up.nwb", "ndx-microscopy")
    with read(original) as first, read(up) as second:
        unreported = unreported_differences(first, second, messages)
    assert unreported == [], "\n".join([*unreported, "--- reported:", *messages])


@pytest.mark.parametrize("backend", ["hdf5", "zarr"])
@pytest.mark.parametrize("case", list(CASES))
def test_legacy_translated_up_and_down_keeps_every_field(tmp_path, case, backend):
    original = write_case(tmp_path, case, "legacy", backend, suffix_of(backend))
    up, _ = translated(original, tmp_path / "up.nwb", "ndx-microscopy")
    down, _ = translated(up, tmp_path / "down.nwb", "legacy")
    with read(original) as first, read(down) as second:
        assert differences(first, second) == []
    with read(up) as upgraded:
        assert "microscopy_experiment_metadata" in upgraded.lab_meta_data
