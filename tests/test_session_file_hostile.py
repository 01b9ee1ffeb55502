"""Session files from someone else: bounded reading, pickled data checked before it is read, includes kept in place.

Every test here gives `load_session_file` and `microscopy-builder convert` a file that a careless or
hostile author could have written, and checks that it is refused with a `SessionFileError` naming
the place, quickly, without running anything from it and without quoting files it should not read.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numcodecs
import numpy as np
import pytest
import zarr
from roiextractors import NwbSegmentationExtractor
from roiextractors.testing import generate_dummy_imaging_extractor

import microscopy_builder as mb
from microscopy_builder.cli import main
from microscopy_builder.session_file import SessionFileError, load_session_file, read_description

from .conftest import read

ROOT = Path(__file__).resolve().parent.parent
SUITE2P = Path(__file__).resolve().parents[2] / "shared" / "data" / "suite2p_fissa" / "suite2p"
needs_suite2p = pytest.mark.skipif(not (SUITE2P / "plane0" / "ops.npy").exists(),
                                   reason=f"the real Suite2p output is not at {SUITE2P}")

SESSION = "session: {session_description: s, session_start_time: 2026-01-05T09:30:00+00:00, format: legacy}\n"
RIG = """
rigs:
  Scope:
    microscope: {manufacturer: X, model: Y}
    channels: [{name: Green, excitation_wavelength_nm: 920, emission_wavelength_nm: 525, indicator: GCaMP6s}]
"""
SPACE = """
spaces:
  FOV: {planar: {pixel_size_um: [1, 1]}, anatomical_target: VISp, line_scan: {}}
"""


def write(path: Path, *parts: str) -> Path:
    """A file of ``parts``, each dedented on its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(textwrap.dedent(part) for part in parts))
    return path


def refused(path: Path, *, match: str, **options) -> SessionFileError:
    """The error ``load_session_file`` raises for ``path`` (which must match ``match``)."""
    with pytest.raises(SessionFileError, match=match) as caught:
        load_session_file(path, **options)
    return caught.value


def convert_in_process(capsys, *args: str) -> tuple[int, str]:
    """`microscopy-builder convert ARGS` run by the real entry point; its exit code and its stderr."""
    code = main(["convert", *args, "--quiet"])
    return code, capsys.readouterr().err


def within(seconds: float, work):
    """``work()``'s result or exception, failing the test if it takes longer than ``seconds``."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    started = time.perf_counter()
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    return outcome.get("error", outcome.get("value")), time.perf_counter() - started


# -- bounded resources ----------------------------------------------------------------------------------
BOMB = "".join(
    f"  L{level}: {{description: &l{level} [{', '.join(['lol'] * 9 if level == 0 else [f'*l{level - 1}'] * 9)}]}}\n"
    for level in range(9)
)


def test_an_alias_bomb_is_refused_within_a_second(tmp_path, capsys):
    """Under 1 kB standing for 9**9 (387 million) values: refused while composing, before any walk."""
    path = write(tmp_path / "bomb.yaml", SESSION + "rigs:\n" + BOMB)
    assert path.stat().st_size < 1000
    error, seconds = within(5, lambda: load_session_file(path))
    assert isinstance(error, SessionFileError) and seconds < 1
    assert "more than 1,000,000 values once its aliases are expanded" in str(error) and str(path) in str(error)
    # the command line too: it also looks for UNKNOWNs left in the file, and must not walk the expansion
    (code, stderr), _ = within(10, lambda: convert_in_process(capsys, str(path), "-o", str(tmp_path / "out.nwb")))
    assert code == 1 and "aliases are expanded" in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.nwb").exists()


@pytest.mark.parametrize(
    "text,message",
    [
        (SESSION + "rigs: {Scope: {description: " + "[" * 100 + "]" * 100 + "}}\n", "nested more than 64 levels deep"),
        (SESSION + "rigs: {Scope: {description: &a [*a]}}\n", "an alias names a list or mapping that contains it"),
        (SESSION + "rigs: {Scope: {description: " + "9" * 5000 + "}}\n", "holds a value YAML cannot represent"),
        ("session: {session_description: s, session_start_time: 2026-13-45T09:30:00+00:00}\n", "cannot represent"),
        ("session: !!python/object/apply:os.system ['echo hacked']\n", "not valid YAML"),
    ],
    ids=["deep", "recursive", "5000-digits", "month-13", "python-tag"],
)
def test_structures_no_session_file_needs_are_refused(tmp_path, text, message):
    refused(write(tmp_path / "session.yaml", text), match=message)


def test_a_huge_file_is_refused_by_its_size_without_being_parsed(tmp_path):
    path = tmp_path / "session.yaml"
    with open(path, "wb") as file:
        file.truncate(9 * 2**20)  # sparse: costs nothing to make
    error, seconds = within(5, lambda: load_session_file(path))
    assert isinstance(error, SessionFileError) and "larger than 8 MiB" in str(error) and seconds < 1


def test_a_device_or_a_pipe_is_never_read(tmp_path):
    """``/dev/zero`` never ends and a FIFO blocks the reader: neither is opened."""
    zero = write(tmp_path / "session.yaml", SESSION + "include: [/dev/zero]\n")
    refused(zero, match=r"/dev/zero: not a regular file", allow_outside_includes=True)
    os.mkfifo(tmp_path / "pipe.yaml")
    piped = write(tmp_path / "piped.yaml", SESSION + "include: [pipe.yaml]\n")
    error, seconds = within(5, lambda: load_session_file(piped))
    assert isinstance(error, SessionFileError) and "pipe.yaml: not a regular file" in str(error)


def test_the_repository_examples_still_load(tmp_path):
    session = load_session_file(ROOT / "examples" / "session.yaml")
    assert sorted(session.nwbfile.acquisition) == ["TwoPhotonSeries"]
    rig_files = sorted((ROOT / "examples" / "rigs").glob("*.yaml"))
    assert rig_files
    for rigs in rig_files:
        shutil.copy(rigs, tmp_path / rigs.name)
        path = write(tmp_path / f"uses_{rigs.stem}.yaml", SESSION, f"include: [{rigs.name}]\n")
        assert read_description(path).rigs and load_session_file(path).nwbfile.session_description == "s"


# -- includes -----------------------------------------------------------------------------------------------
def test_includes_outside_the_folder_are_refused_unless_allowed(tmp_path):
    write(tmp_path / "shared" / "rigs.yaml", RIG)
    session = write(tmp_path / "sessions" / "s1" / "session.yaml", SESSION + "include: [../../shared/rigs.yaml]\n")
    refused(session, match=r"include\[0\]: '\.\./\.\./shared/rigs\.yaml' is outside the session file's folder .*"
                           r"--allow-outside-includes")
    absolute = write(tmp_path / "sessions" / "s2" / "session.yaml", SESSION + f"include: [{tmp_path / 'shared' / 'rigs.yaml'}]\n")
    refused(absolute, match="is outside the session file's folder")
    for allowed in (session, absolute):
        assert list(read_description(allowed, allow_outside_includes=True).rigs) == ["Scope"]


def test_a_symbolic_link_pointing_outside_is_refused(tmp_path):
    write(tmp_path / "elsewhere" / "rigs.yaml", RIG)
    (tmp_path / "session" / "rigs").mkdir(parents=True)
    (tmp_path / "session" / "rigs" / "lab.yaml").symlink_to(tmp_path / "elsewhere" / "rigs.yaml")
    path = write(tmp_path / "session" / "session.yaml", SESSION + "include: [rigs/lab.yaml]\n")
    refused(path, match=r"'rigs/lab\.yaml' is outside the session file's folder .* \(through a symbolic link\)")
    (tmp_path / "session" / "rigs" / "linked").symlink_to(tmp_path / "elsewhere")
    folder_link = write(tmp_path / "session" / "other.yaml", SESSION + "include: [rigs/linked/rigs.yaml]\n")
    refused(folder_link, match="through a symbolic link")


def test_a_file_that_is_not_a_session_file_is_never_quoted(tmp_path, capsys):
    secrets = write(tmp_path / "private.yaml", "password: hunter2\napi_key: sk-123\n")
    broken = write(tmp_path / "broken.yaml", "token: !secret-tag-hunter2 [\n")
    for target in ("/etc/passwd", secrets, broken):
        path = write(tmp_path / "session.yaml", SESSION + f"include: [{target}]\n")
        error = refused(path, match=rf"{target}: not a session file", allow_outside_includes=True)
        code, stderr = convert_in_process(capsys, str(path), "--allow-outside-includes")
        assert code == 1 and f"{target}: not a session file" in stderr
        for shown in (str(error), stderr):
            for secret in ("root", "daemon", "password", "hunter2", "api_key", "sk-123", "token", "secret"):
                assert secret not in shown.replace(str(tmp_path), ""), (secret, shown)


def test_nested_includes_work_and_each_file_is_read_once(tmp_path):
    write(tmp_path / "lab" / "rigs.yaml", "include: [spaces/v1.yaml]\n" + RIG)
    write(tmp_path / "lab" / "spaces" / "v1.yaml", SPACE)
    write(tmp_path / "lab" / "all.yaml", "include: [rigs.yaml, spaces/v1.yaml]\n")  # v1.yaml reached twice
    np.save(tmp_path / "movie.npy", np.arange(5 * 4 * 3, dtype="uint16").reshape(5, 4, 3, 1))
    path = write(tmp_path / "session.yaml", SESSION, """
        include: [lab/all.yaml]
        series:
          Movie:
            extractor: {NumpyImagingExtractor: {timeseries: movie.npy, sampling_frequency: 10}}
            rig: Scope
            space: FOV
        """)
    nwbfile = load_session_file(path).nwbfile
    assert nwbfile.acquisition["Movie"].imaging_plane.location == "VISp"
    assert sorted(nwbfile.devices) == ["Scope"]


def test_an_include_cycle_is_named(tmp_path):
    write(tmp_path / "a.yaml", "include: [b.yaml]\n" + RIG)
    write(tmp_path / "b.yaml", "include: [a.yaml]\n" + SPACE)
    path = write(tmp_path / "session.yaml", SESSION + "include: [a.yaml]\n")
    refused(path, match=r"b\.yaml: include\[0\]: closes a cycle of includes \(.*a\.yaml -> .*b\.yaml -> .*a\.yaml\)")
    write(tmp_path / "self.yaml", SESSION + "include: [self.yaml]\n")
    refused(tmp_path / "self.yaml", match=r"self\.yaml: include\[0\]: closes a cycle of includes")


@pytest.mark.parametrize("section", ["series", "segmentations", "session"])
def test_an_included_file_holds_only_rigs_and_spaces(tmp_path, section):
    write(tmp_path / "rigs.yaml", RIG + f"{section}: {{}}\n")
    path = write(tmp_path / "session.yaml", SESSION + "include: [rigs.yaml]\n")
    refused(path, match=rf"rigs\.yaml: {section}: an included file may hold only include, rigs, spaces; move {section}")


# -- pickled data ------------------------------------------------------------------------------------------
class Payload:
    """Unpickling this calls ``os.system`` (or whatever ``call`` names): what a hostile data file does."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


def suite2p_session(folder: Path, data: Path) -> Path:
    return write(folder / "session.yaml", SESSION, RIG, SPACE, f"""
        segmentations:
          PlaneSegmentation:
            extractor: {{Suite2pSegmentationExtractor: {{folder_path: {data}}}}}
            space: FOV
            rig: Scope
        """)


@needs_suite2p
def test_real_suite2p_output_passes_the_check_and_converts(tmp_path):
    path = suite2p_session(tmp_path, SUITE2P)
    out = tmp_path / "suite2p.nwb"
    done = subprocess.run([sys.executable, "-m", "microscopy_builder.cli", "convert", str(path), "-o", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    segmentation = NwbSegmentationExtractor(out)
    assert segmentation.get_num_rois() == 23
    np.testing.assert_allclose(segmentation.get_traces(name="raw"), np.load(SUITE2P / "plane0" / "F.npy").T)


@needs_suite2p
@pytest.mark.parametrize("file,call", [("ops.npy", os.system), ("stat.npy", eval), ("ops.npy", subprocess.call)])
def test_a_hostile_pickle_is_refused_without_running(tmp_path, capsys, file, call):
    data = tmp_path / "suite2p"
    shutil.copytree(SUITE2P, data)
    marker = tmp_path / "MARKER"
    command = f"open({str(marker)!r}, 'w')" if call is eval else f"touch {marker}"
    value = np.load(data / "plane0" / file, allow_pickle=True)  # the real content, with the payload added
    if file == "ops.npy":
        value = np.array({**value.item(), "note": Payload(call, command if call is not subprocess.call else ["touch", str(marker)])})
    else:
        value[0]["note"] = Payload(call, command)
    (data / "plane0" / file).unlink()
    np.save(data / "plane0" / file, value, allow_pickle=True)
    path = suite2p_session(tmp_path, data)
    error = refused(path, match=rf"segmentations\.PlaneSegmentation\.extractor\.Suite2pSegmentationExtractor: "
                                rf"{data / 'plane0' / file}: its pickled data reaches for .*refused without running it; "
                                rf"convert with --trust-data")
    assert ("posix.system" if call is os.system else "builtins.eval" if call is eval else "subprocess.call") in str(error)
    code, stderr = convert_in_process(capsys, str(path), "-o", str(tmp_path / "out.nwb"))
    assert code == 1 and str(data / "plane0" / file) in stderr
    assert not marker.exists() and not (tmp_path / "out.nwb").exists()
    load_session_file(path, trust_data=True)  # the check off: unpickled as roiextractors does, payload and all
    assert marker.exists()


@pytest.mark.parametrize(
    "payload,reason",
    [
        (Payload(bytes, 10**12), "builtins.bytes of a size"),  # a terabyte to allocate, no code run
        (Payload(np.zeros(1).__reduce__()[0], np.ndarray, (10**12,), b"b"), "numpy's _reconstruct with an unusual"),
        (Payload(getattr, "text", "upper"), "builtins.getattr"),
        (Payload(__import__, "os"), "builtins.__import__"),
    ],
    ids=["bytes-of-a-size", "huge-empty-array", "getattr", "import"],
)
def test_the_restricted_unpickler_refuses_more_than_code(tmp_path, payload, reason):
    from microscopy_builder.safe_pickle import check_npy

    np.save(tmp_path / "ops.npy", np.array({"fs": 30.0, "x": payload}), allow_pickle=True)
    started = time.perf_counter()
    with pytest.raises(ValueError, match=rf"ops\.npy: its pickled data reaches for {reason}"):
        check_npy(tmp_path / "ops.npy")
    assert time.perf_counter() - started < 1


def test_plain_data_comes_back_from_the_restricted_unpickler_as_pickle_makes_it(tmp_path):
    import datetime as dt
    import io

    from microscopy_builder.safe_pickle import RestrictedUnpickler

    value = {"fs": 30.0, "n": 2**70, "c": 1 + 2j, "s": {1, 2}, "f": frozenset("ab"), "b": b"x", "ba": bytearray(b"y"),
             "t": (1, "two"), "when": dt.datetime(2021, 7, 26, 12, 0), "dt": dt.timedelta(seconds=3), "slice": slice(1, 4),
             "a": np.arange(6, dtype=">i2").reshape(2, 3), "o": np.array([{"ypix": np.arange(3)}, None], dtype=object),
             "scalar": np.float32(1.5), "dtype": np.dtype([("x", "<f4"), ("y", "U3")])}
    plain_keys = ("fs", "n", "c", "s", "f", "b", "ba", "t", "when", "dt", "slice", "scalar", "dtype")
    for protocol in (2, 3, 4, 5):
        data = pickle.dumps(value, protocol=protocol)
        again, expected = RestrictedUnpickler(io.BytesIO(data)).load(), pickle.loads(data)
        assert again.keys() == value.keys()
        assert {k: again[k] for k in plain_keys} == {k: expected[k] for k in plain_keys} == {k: value[k] for k in plain_keys}
        np.testing.assert_array_equal(again["a"], value["a"])
        assert again["a"].dtype == expected["a"].dtype  # numpy itself gives back native order below protocol 5
        assert again["o"][0]["ypix"].tolist() == [0, 1, 2] and again["o"][1] is None


def test_a_file_without_a_npy_header_is_refused(tmp_path):
    """``np.load(allow_pickle=True)`` unpickles a headerless file as a whole: such a file is never passed on."""
    plane = tmp_path / "suite2p" / "plane0"
    plane.mkdir(parents=True)
    marker = tmp_path / "MARKER"
    (plane / "ops.npy").write_bytes(pickle.dumps(Payload(os.system, f"touch {marker}")))
    np.save(plane / "stat.npy", np.array([{"ypix": np.arange(2)}]), allow_pickle=True)
    refused(suite2p_session(tmp_path, tmp_path / "suite2p"), match=r"plane0/ops\.npy: not a \.npy file")
    assert not marker.exists()


def test_an_extractor_whose_pickles_cannot_be_checked_is_refused(tmp_path):
    path = write(tmp_path / "session.yaml", SESSION, SPACE, """
        segmentations:
          PlaneSegmentation:
            extractor: {SimaSegmentationExtractor: {file_path: dataset.sima}}
            space: FOV
        """)
    refused(path, match=r"segmentations\.PlaneSegmentation\.extractor\.SimaSegmentationExtractor: "
                        r"SimaSegmentationExtractor is refused in safe mode.*--trust-data")
    refused(path, match=r"SimaSegmentationExtractor: could not be created", trust_data=True)  # tried, as asked


def test_a_zarr_store_naming_the_pickle_codec_is_refused(tmp_path):
    """Minian output is Zarr; an array with numcodecs' pickle codec unpickles when read. numcodecs refuses
    that itself unless NUMCODECS_ALLOW_UNSAFE_PICKLE_DECODE is set (as for old data): set here, the check holds."""
    marker = tmp_path / "MARKER"
    store = zarr.open_group(str(tmp_path / "minian"), mode="w")
    masks = store.create_group("A.zarr").create_dataset("A", shape=(1, 2, 2), dtype=object, object_codec=numcodecs.Pickle())
    masks[0, 0, 0] = Payload(os.system, f"touch {marker}")  # pickled on write; unpickling it would run
    path = write(tmp_path / "session.yaml", SESSION, SPACE, f"""
        segmentations:
          PlaneSegmentation:
            extractor: {{MinianSegmentationExtractor: {{folder_path: minian, sampling_frequency: 30.0}}}}
            space: FOV
        """)
    unsafe = {**os.environ, "NUMCODECS_ALLOW_UNSAFE_PICKLE_DECODE": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    for flags in ([], ["--trust-data"]):
        done = subprocess.run([sys.executable, "-m", "microscopy_builder.cli", "convert", str(path), *flags], env=unsafe,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        if not flags:
            assert f"{tmp_path / 'minian' / 'A.zarr' / 'A' / '.zarray'}: names numcodecs' pickle codec" in done.stderr
            assert not marker.exists()
    assert marker.exists()  # with --trust-data, read as roiextractors reads it


def test_an_nwb_zarr_file_of_ours_passes_the_check(tmp_path):
    """hdmf-zarr writes object data with json2, never pickle: a Zarr NWB file converts in safe mode."""
    movie = generate_dummy_imaging_extractor(num_samples=6, num_rows=5, num_columns=4, seed=3)
    rig = mb.RigBuilder("Scope").microscope(manufacturer="X", model="Y").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("FOV").planar(pixel_size_um=(1, 1)).anatomical_target("VISp").line_scan()
    session = load_session_file(write(tmp_path / "s.yaml", SESSION))
    session.add(mb.SeriesBuilder("TwoPhotonSeries").from_extractor(movie).rig(rig).space(space))
    session.write(tmp_path / "first.nwb.zarr", backend="zarr", progress=False)
    path = write(tmp_path / "session.yaml", SESSION, RIG, SPACE, """
        series:
          TwoPhotonSeries:
            extractor: {NwbImagingExtractor: {file_path: first.nwb.zarr}}
            rig: Scope
            space: FOV
        """)
    again = load_session_file(path).write(tmp_path / "again.nwb", progress=False)
    with read(again) as nwbfile:
        np.testing.assert_array_equal(nwbfile.acquisition["TwoPhotonSeries"].data[:].transpose(0, 2, 1), movie.get_series())
