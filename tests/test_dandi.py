"""DANDI-ready by construction: the subject and ids DANDI requires, its path layout, and dandi-cli's own verdict."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pynwb.file import Subject

import microscopy_builder as mb
from microscopy_builder.demo import demo_session

from .conftest import START, make_imaging, read

DANDI = Path(sys.executable).with_name("dandi")
needs_dandi = pytest.mark.skipif(not DANDI.exists(), reason="dandi-cli is not installed (the test extra installs it)")
GOOD_SUBJECT = {"subject_id": "mouse-001", "species": "Mus musculus", "sex": "F", "age": "P90D"}


def dandi(*args: str, home: Path) -> subprocess.CompletedProcess:
    """dandi-cli itself, offline, its logs and caches under ``home``."""
    env = {**os.environ, "DANDI_NO_ET": "1", "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_CONFIG_HOME": str(home / "config")}
    return subprocess.run([str(DANDI), *args], capture_output=True, text=True, env=env, timeout=300)


def dandiset(folder: Path) -> Path:
    """A local dandiset: a folder with the dandiset.yaml ``dandi download`` leaves in it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dandiset.yaml").write_text('identifier: "000000"\nname: microscopy-builder test\ndescription: test\n')
    return folder


def session(format="legacy", *, start=START, **kwargs) -> mb.Session:
    rig = mb.RigBuilder("Bergamo").microscope(manufacturer="Thorlabs", model="Bergamo II").channel(
        "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s")
    space = mb.ImagingSpaceBuilder("V1_L23").planar(pixel_size_um=(1.2, 1.2)).anatomical_target("VISp2/3").line_scan()
    series = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(make_imaging(frames=20)).rig(rig).space(space)
    return mb.Session(session_description="DANDI test", session_start_time=start, format=format, **kwargs).add(series)


# -- what validate() says ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("subject", "where", "advice"),
    [
        (None, "subject", "subject_id, species, sex and age"),
        ({**GOOD_SUBJECT, "subject_id": None}, "subject.subject_id", "subject_id: the animal's identifier"),
        ({**GOOD_SUBJECT, "species": None}, "subject.species", "species: a Latin binomial such as Mus musculus"),
        ({**GOOD_SUBJECT, "species": "mouse"}, "subject.species", "or an NCBITaxon URL"),
        ({**GOOD_SUBJECT, "sex": "female"}, "subject.sex", "sex: one of M, F, O, U"),
        ({**GOOD_SUBJECT, "age": None}, "subject.age", "age: an ISO 8601 duration such as P90D, or date_of_birth"),
        ({**GOOD_SUBJECT, "age": "90 days"}, "subject.age", "age: an ISO 8601 duration such as P90D"),
        ({**GOOD_SUBJECT, "weight": "25"}, "subject.weight", "weight: a number and a unit"),
    ],
)
def test_subject_problems_warn_and_are_errors_for_dandi(subject, where, advice):
    given = {} if subject is None else {"subject": {k: v for k, v in subject.items() if v is not None}}
    plain, for_dandi = session(**given).validate(), session(**given).validate(dandi=True)
    assert plain.ok and [p.where for p in plain.warnings] == [where]
    assert advice in plain.warnings[0].message
    assert not for_dandi.ok and [p.where for p in for_dandi.errors] == [where]
    assert for_dandi.errors[0].message == plain.warnings[0].message


def test_inspector_critical_subject_checks_agree_with_ours(tmp_path):
    """What validate() warns about is exactly what nwbinspector rates CRITICAL in the written file."""
    from nwbinspector import Importance, inspect_nwbfile

    for subject in (None, {"subject_id": "m1", "species": "Mus musculus"}, GOOD_SUBJECT):
        given = {} if subject is None else {"subject": subject}
        warned = {p.where for p in session(**given).validate().warnings}
        path = session(**given).write(tmp_path / f"s{len(subject or {})}.nwb")
        critical = {m.check_function_name for m in inspect_nwbfile(nwbfile_path=path)
                    if m.importance == Importance.CRITICAL}
        expected = {"subject": {"check_subject_exists"}, "subject.sex": {"check_subject_sex"},
                    "subject.age": {"check_subject_age"}}
        assert critical == set().union(*(expected[w] for w in warned)), (subject, warned, critical)


def test_a_good_subject_and_labels_give_no_dandi_problem():
    report = session(subject=GOOD_SUBJECT, session_id="day-1").validate(dandi=True)
    assert report.problems == ()


@pytest.mark.parametrize(("field", "value"), [("subject_id", "m_001"), ("subject_id", "m.1"), ("session_id", "day 1")])
def test_ids_that_are_not_dandi_labels_are_dandi_errors_only(field, value):
    kwargs = {"subject": {**GOOD_SUBJECT, field: value}} if field == "subject_id" else {"subject": GOOD_SUBJECT, field: value}
    assert session(**kwargs).validate().problems == ()
    (error,) = session(**kwargs).validate(dandi=True).errors
    assert error.where.endswith(field) and repr(value) in error.message and "letters, digits and hyphens" in error.message


# -- Session(subject={...}) ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_a_subject_mapping_becomes_the_files_subject(tmp_path, format):
    born = dt.datetime(2025, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    fields = {"subject_id": "mouse-002", "species": "Mus musculus", "sex": "M", "date_of_birth": born,
              "weight": 0.025, "strain": "C57BL/6J", "description": "a test mouse"}
    path = session(format, subject=fields).write(tmp_path / "subject.nwb")
    with read(path) as nwbfile:
        subject = nwbfile.subject
        assert isinstance(subject, Subject)
        assert (subject.subject_id, subject.species, subject.sex, subject.strain) == ("mouse-002", "Mus musculus", "M", "C57BL/6J")
        assert subject.date_of_birth == born and subject.weight == "0.025 kg" and subject.age is None


def test_a_bad_subject_mapping_lists_every_bad_field():
    with pytest.raises(mb.ValidationError) as raised:
        session(subject={"subject_id": 1, "sexx": "F", "date_of_birth": dt.date(2025, 12, 1), "weight": [1]})
    wheres = [p.split(":")[0] for p in raised.value.problems]
    assert wheres == ["subject.subject_id", "subject.sexx", "subject.date_of_birth", "subject.weight"]
    assert "quote it" in raised.value.problems[0] and "fields are subject_id, species" in raised.value.problems[1]
    assert "UTC offset" in raised.value.problems[2]


# -- write_dandi --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("format", ["ndx-microscopy", "legacy"])
def test_write_dandi_puts_the_file_where_dandi_expects_it(tmp_path, format):
    written = session(format, subject=GOOD_SUBJECT, session_id="day-1").write_dandi(tmp_path / "ds")
    assert written == tmp_path / "ds" / "sub-mouse-001" / "sub-mouse-001_ses-day-1_ophys.nwb"
    with read(written) as nwbfile:
        assert nwbfile.subject.subject_id == "mouse-001" and nwbfile.session_id == "day-1"
        assert nwbfile.acquisition["TwoPhotonSeries"].data.shape[0] == 20


def test_write_dandi_derives_the_session_id_from_the_start_time():
    eastern = dt.timezone(dt.timedelta(hours=-5))
    afternoon = session(subject=GOOD_SUBJECT, start=dt.datetime(2024, 3, 5, 14, 30, tzinfo=eastern))
    (note,) = afternoon.validate(dandi=True).warnings
    assert note.where == "session.session_id" and "'20240305T143000'" in note.message
    midnight = session(subject=GOOD_SUBJECT, start=dt.datetime(2024, 3, 5, tzinfo=eastern))
    assert "'20240305'" in midnight.validate(dandi=True).warnings[0].message


def test_write_dandi_refuses_bad_ids_before_writing_anything(tmp_path):
    target = tmp_path / "ds"
    with pytest.raises(mb.BuilderError) as raised:
        session(subject={**GOOD_SUBJECT, "subject_id": "m_001"}, session_id="a.b").write_dandi(target, desc="x_y")
    text = str(raised.value)
    assert "'m_001'" in text and "'a.b'" in text and "'x_y'" in text and "'m-001'" in text
    assert not target.exists()
    with pytest.raises(mb.ValidationError, match="subject: none given"):
        session().write_dandi(target)
    assert not target.exists()


def test_write_dandi_into_an_existing_dandiset_and_refusals(tmp_path):
    target = dandiset(tmp_path / "ds")
    first = session(subject=GOOD_SUBJECT, session_id="day-1").write_dandi(target)
    legacy = session(subject=GOOD_SUBJECT, session_id="day-1").write_dandi(target, desc="legacy")
    assert legacy.name == "sub-mouse-001_ses-day-1_desc-legacy_ophys.nwb" and legacy.parent == first.parent
    with pytest.raises(mb.ValidationError, match="already exists"):
        session(subject=GOOD_SUBJECT, session_id="day-1").write_dandi(target)
    assert session(subject=GOOD_SUBJECT, session_id="day-1").write_dandi(target, overwrite=True) == first
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(mb.ValidationError, match="is a file, not a folder"):
        session(subject=GOOD_SUBJECT).write_dandi(blocker)
    with pytest.raises(mb.ValidationError, match="writes HDF5"):
        session(subject=GOOD_SUBJECT).write_dandi(tmp_path / "z", backend="zarr")
    assert not (tmp_path / "z").exists()


# -- dandi-cli's own verdict ------------------------------------------------------------------------------------------
@needs_dandi
def test_dandi_validate_accepts_the_demo_in_both_layouts(tmp_path):
    target = dandiset(tmp_path / "ds")
    paths = [demo_session(format, num_frames=150).write_dandi(target, desc=format.replace("-", ""))
             for format in ("ndx-microscopy", "legacy")]
    assert [p.name for p in paths] == ["sub-mouse-001_ses-demo-001_desc-ndxmicroscopy_ophys.nwb",
                                       "sub-mouse-001_ses-demo-001_desc-legacy_ophys.nwb"]
    done = dandi("validate", "--min-severity", "ERROR", str(target), home=tmp_path / "home")
    assert done.returncode == 0 and "No errors found" in done.stdout, done.stdout + done.stderr


@needs_dandi
def test_dandi_validate_rejects_what_validate_dandi_reports(tmp_path):
    """A file written with plain write() and a poor subject: dandi-cli and validate(dandi=True) agree."""
    poor = session(subject={"subject_id": "mouse-001", "species": "mouse"}, session_id="day-1")
    assert {p.where for p in poor.validate(dandi=True).errors} == {"subject.species", "subject.sex", "subject.age"}
    target = dandiset(tmp_path / "ds")
    (target / "sub-mouse-001").mkdir()
    poor.write(target / "sub-mouse-001" / "sub-mouse-001_ses-day-1_ophys.nwb")
    done = dandi("validate", str(target), home=tmp_path / "home")
    assert done.returncode == 1
    for check in ("check_subject_species_form", "check_subject_sex", "check_subject_age"):
        assert f"NWBI.{check}" in done.stdout, done.stdout


@needs_dandi
def test_dandi_organize_derives_the_same_session_ids_as_write_dandi(tmp_path):
    """Two sessions without session_id: dandi organize and write_dandi name them alike."""
    eastern = dt.timezone(dt.timedelta(hours=-5))
    starts = [dt.datetime(2024, 3, 5, 14, 30, tzinfo=eastern), dt.datetime(2024, 3, 6, 9, 5, 7, tzinfo=eastern)]
    sources = [session(subject=GOOD_SUBJECT, start=s).write(tmp_path / f"raw{i}.nwb") for i, s in enumerate(starts)]
    organized = dandiset(tmp_path / "organized")
    done = dandi("organize", "-d", str(organized), "--files-mode", "copy", *map(str, sources), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    by_dandi = sorted(p.relative_to(organized).as_posix() for p in organized.rglob("*.nwb"))
    ours = sorted(session(subject=GOOD_SUBJECT, start=s).write_dandi(tmp_path / "ours").relative_to(tmp_path / "ours").as_posix()
                  for s in starts)
    assert by_dandi == ours == ["sub-mouse-001/sub-mouse-001_ses-20240305T143000_ophys.nwb",
                                "sub-mouse-001/sub-mouse-001_ses-20240306T090507_ophys.nwb"]


@needs_dandi
def test_what_dandi_cli_records_of_an_ndx_microscopy_file(tmp_path):
    """The limit the DANDI how-to states: dandi-cli's asset metadata (what an upload records) knows
    core types only, so an ndx-microscopy file gets no microscopy technique; the legacy file does."""
    code = ("import sys, json; from dandi.metadata.nwb import nwb2asset; from dandi.misctypes import Digest, DigestType; "
            "asset = nwb2asset(sys.argv[1], digest=Digest(algorithm=DigestType.dandi_etag, value='0' * 32 + '-1')); "
            "print(json.dumps([t.name for t in asset.measurementTechnique]))")
    techniques = {}
    for format in ("ndx-microscopy", "legacy"):
        path = session(format, subject=GOOD_SUBJECT, session_id="day-1").write_dandi(tmp_path / format)
        env = {**os.environ, "DANDI_NO_ET": "1", "HOME": str(tmp_path / "home")}
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        techniques[format] = done.stdout.strip().splitlines()[-1]
    assert "two-photon microscopy technique" in techniques["legacy"]
    assert "microscopy" not in techniques["ndx-microscopy"]
