"""Session files: duplicate keys, include paths PyYAML accepts but the OS does not, Python tags."""

from __future__ import annotations

import shutil
import subprocess
import warnings

import pytest

import microscopy_builder as mb
from microscopy_builder.session_file import load_session_file

from common import PYTHON, REPO, read


@pytest.fixture
def example(tmp_path):
    folder = tmp_path / "ex"
    shutil.copytree(REPO / "examples", folder, ignore=shutil.ignore_patterns("*.py"))
    return folder


def test_a_key_given_twice_is_an_error_not_silently_the_last(example):
    """PyYAML keeps the last of two equal keys, and so does the bounded loader: a session file that gives a series
    twice (a copy-paste of a block, renamed in one place only) keeps the second and drops the first without a word."""
    text = (example / "session.yaml").read_text().replace(
        "    description: Raw two-photon movie.\n",
        "    description: Raw two-photon movie.\n  TwoPhotonSeries:\n    extractor:\n"
        "      NumpyImagingExtractor: {timeseries: data/movie.npy, sampling_frequency: 15.0}\n"
        "    rig: Bergamo\n    channel: Green\n    space: V1_L23\n    description: Second block.\n")
    (example / "session.yaml").write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(mb.ValidationError, match="TwoPhotonSeries"):
            session = load_session_file(example / "session.yaml")
            kept = [(s.name, s.description) for s in session.specs("series")]
            print("silently kept only", kept)


@pytest.mark.parametrize("entry", ['"rigs/\\0bergamo.yaml"', "x" * 300 + ".yaml"])
def test_include_paths_the_os_refuses_are_session_file_errors(example, entry):
    text = (example / "session.yaml").read_text().replace("include: [rigs/bergamo.yaml]", f"include: [{entry}]")
    (example / "session.yaml").write_text(text)
    with pytest.raises(mb.ValidationError):
        load_session_file(example / "session.yaml")


def test_python_tags_are_refused_cleanly(example):
    text = (example / "session.yaml").read_text().replace(
        "lab: Example Lab", "lab: !!python/object/apply:os.system ['touch pwned']")
    (example / "session.yaml").write_text(text)
    with pytest.raises(mb.ValidationError):
        load_session_file(example / "session.yaml")
    assert not (example / "pwned").exists() and not (REPO / "pwned").exists()


def test_cli_convert_with_nul_text_names_the_field(example, tmp_path):
    text = (example / "session.yaml").read_text().replace("lab: Example Lab", 'lab: "Example\\0Lab"')
    (example / "session.yaml").write_text(text)
    done = subprocess.run([PYTHON, "-m", "microscopy_builder.cli", "convert", str(example / "session.yaml"), "-o",
                           str(tmp_path / "out.nwb")], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    print(done.stdout, done.stderr)
    assert done.returncode != 0
    assert "session.lab" in done.stderr, f"the error does not name its place in the file: {done.stderr.strip()}"
