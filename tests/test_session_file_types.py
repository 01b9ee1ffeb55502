"""A wrong type anywhere in a session file is a `SessionFileError` naming its place, never a Python crash.

The property tests take the repository's example session (examples/session.yaml with the rig file it
includes), put a random YAML value at a random place, and check that loading it either works or
raises a `SessionFileError` whose every problem names the file and a place in it; through the
command line, exit status 1 with one line on stderr.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microscopy_builder.cli import main
from microscopy_builder.session_file import SECTIONS, SessionFileError, load_session_file

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"


def example_session() -> dict[str, Any]:
    """examples/session.yaml in one mapping: the included rig file merged in, data paths absolute."""
    session = yaml.safe_load((ROOT / "examples" / "session.yaml").read_text())
    del session["include"]
    session.update(yaml.safe_load((ROOT / "examples" / "rigs" / "bergamo.yaml").read_text()))
    for section in ("series", "segmentations"):
        for fields in session[section].values():
            for arguments in fields["extractor"].values():
                for name in ("timeseries", "image_masks", "raw", "dff"):
                    if name in arguments:
                        arguments[name] = str(ROOT / "examples" / arguments[name])
    return session


EXAMPLE = example_session()


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a nested value, parents before children."""
    found = [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.extend(places(item, (*path, key)))
    return found


PLACES = places(EXAMPLE)[1:]


def replaced(place: tuple, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    holder = document
    for key in place[:-1]:
        holder = holder[key]
    holder[place[-1]] = value
    return document


scalars = st.one_of(
    st.none(), st.booleans(), st.text(max_size=12),
    st.integers(), st.integers(min_value=10**300, max_value=10**420), st.integers(max_value=-(10**300), min_value=-(10**420)),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(), st.datetimes(),
)
yaml_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.one_of(st.text(max_size=8), st.integers(), st.sampled_from(["name", "rig", "unit", "rate_hz", "planar"])), inner, max_size=3),
    max_leaves=6)


def assert_located(error: SessionFileError, path: Path) -> None:
    """Every problem names the file, then a place: a section of the file or the file itself."""
    assert error.problems
    for problem in error.problems:
        assert problem.startswith(f"{path}: "), problem
        rest = problem[len(f"{path}: "):]
        assert rest.split(".")[0].split(":")[0].split("[")[0] in SECTIONS or rest.startswith(("not a session file", "unknown section")), problem
        assert "\n" not in problem


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@PROPERTY
@given(place=st.sampled_from(PLACES), value=yaml_values)
def test_any_value_anywhere_loads_or_is_a_located_session_file_error(place, value):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "session.yaml"
        path.write_text(yaml.safe_dump(replaced(place, value)))
        try:
            load_session_file(path)
        except SessionFileError as error:
            assert_located(error, path)


@settings(PROPERTY, max_examples=40)
@given(place=st.sampled_from(PLACES), value=yaml_values)
def test_the_command_line_fails_in_one_line_or_writes(place, value):
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / "session.yaml", Path(folder) / "out.nwb"
        path.write_text(yaml.safe_dump(replaced(place, value)))
        with _stderr() as stderr:
            code = main(["convert", str(path), "-o", str(out), "--quiet"])
        lines = stderr.getvalue().strip().splitlines()
        if code == 0:
            assert out.exists() and lines == []
        else:
            assert code == 1 and len(lines) == 1 and lines[0].startswith(f"microscopy-builder: error: {path}: ")
            assert not out.exists()


class _stderr:
    """sys.stderr captured (hypothesis runs many examples in one test: no per-example fixture)."""

    def __enter__(self):
        import io

        self.saved, sys.stderr = sys.stderr, io.StringIO()
        return sys.stderr

    def __exit__(self, *exc):
        sys.stderr = self.saved


@pytest.mark.parametrize(
    "place,value,message",
    [
        (("series", "TwoPhotonSeries", "rig"), ["Bergamo"], r"series\.TwoPhotonSeries\.rig: must be text, got a list"),
        (("rigs", "Bergamo", "channels", 0), "Green", r"rigs\.Bergamo\.channels\[0\]: must be a mapping of fields, got the text 'Green'"),
        (("spaces", "V1_L23", "planar", "pixel_size_um"), "big", r"spaces\.V1_L23\.planar\.pixel_size_um: must be a list, got the text 'big'"),
        (("spaces", "V1_L23", "planar", "pixel_size_um", 0), "big", r"pixel_size_um\[0\]: must be a number, got the text 'big'"),
        (("rigs", "Bergamo", "excitation_source", "wavelength_nm"), 10**400, r"wavelength_nm: an integer of 401 digits is too large"),
        (("rigs", "Bergamo", "microscope"), None, r"rigs\.Bergamo\.microscope: must be a mapping of fields, got null"),
        (("rigs", "Bergamo", "objective_lens", "numerical_aperture"), [0.8], r"numerical_aperture: must be a number, got a list"),
        (("rigs", "Bergamo", "photodetector", "gain"), True, r"photodetector\.gain: must be a number, got true"),
        (("rigs", "Bergamo", "description"), {"a": [{"b": None}]}, r"rigs\.Bergamo\.description: must be text, got a mapping"),
        (("series", "TwoPhotonSeries", "description"), float("nan"), r"series\.TwoPhotonSeries\.description: must be text"),
        (("series", "TwoPhotonSeries", "extractor", "NumpyImagingExtractor", "sampling_frequency"), "fast",
         r"NumpyImagingExtractor\.sampling_frequency: must be a number"),
        (("segmentations", "PlaneSegmentation", "extractor", "NumpySegmentationExtractor"), [1, 2],
         r"NumpySegmentationExtractor: its arguments must be a mapping"),
        (("include",), 5, r"include: must be a list of paths"),
        (("session", "keywords"), [["nested"]], r"session\.keywords: must be a list of text"),
        (("session", "lab"), 12, r"session\.lab: must be str, got int"),
        (("session", "subject", "age"), 90, r"session\.subject\.age: must be text, got 90 \(int\)"),
        (("session", "session_start_time"), [2026], r"session\.session_start_time: must be a date and time"),
        (("rigs", "Bergamo", "channels"), {"name": "Green"}, r"rigs\.Bergamo\.channels: must be a list"),
    ],
)
def test_wrong_types_name_their_place(tmp_path, capsys, place, value, message):
    path = tmp_path / "session.yaml"
    path.write_text(yaml.safe_dump(replaced(place, value)))
    with pytest.raises(SessionFileError, match=message) as caught:
        load_session_file(path)
    assert_located(caught.value, path)
    assert main(["convert", str(path), "--quiet"]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_installed_command_prints_one_line_and_no_traceback(tmp_path):
    path = tmp_path / "session.yaml"
    path.write_text(yaml.safe_dump(replaced(("rigs", "Bergamo", "channels", 0, "emission_wavelength_nm"), 10**400)))
    done = subprocess.run([sys.executable, "-m", "microscopy_builder.cli", "convert", str(path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"microscopy-builder: error: {path}: rigs.Bergamo.channels[0].emission_wavelength_nm: "
                                   f"an integer of 401 digits is too large for a number; check the value")
