"""``microscopy-builder inspect``: rigs as the file links them, and each series' channel and indicator.

Real files of both formats and both backends; what the file holds is read here with h5py / zarr
directly (the stored link names), independently of pynwb's objects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

import microscopy_builder as mb
from microscopy_builder.cli import main

from .conftest import BACKENDS, FORMATS, make_imaging, new_session, write_hand_made_file

RIG_GROUP = "general/microscopy_experiment_metadata"


def inspect_lines(path: Path, capsys) -> list[str]:
    capsys.readouterr()
    assert main(["inspect", str(path)]) == 0
    return capsys.readouterr().out.splitlines()


def rig_line(lines: list[str], rig: str) -> str:
    start = lines.index(next(line for line in lines if line.startswith("rigs (")))
    return next(line for line in lines[start:] if line.startswith(f"  {rig}: "))


def stored_link_names(path: Path, group: str) -> dict[str, str]:
    """{link name: target path} of an HDF5 group's soft links, or of a Zarr group's stored links."""
    if path.is_dir():
        attributes = json.loads((path / group / ".zattrs").read_text())
        return {link["name"]: link["path"] for link in attributes.get("zarr_link", [])}
    with h5py.File(path, "r") as file:
        node = file[group]
        return {name: node.get(name, getlink=True).path for name in node
                if isinstance(node.get(name, getlink=True), h5py.SoftLink)}


def write(tmp_path, rig, space, format="ndx-microscopy", backend="hdf5", suffix="nwb", channels=("Green",)) -> Path:
    session = new_session(format)
    for channel in channels:
        session.add(mb.SeriesBuilder(f"Series{channel}").from_extractor(make_imaging()).rig(rig).channel(channel)
                    .space(space))
    return session.write(tmp_path / f"{format}.{suffix}", backend=backend)


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_rig_with_only_an_emission_filter_shows_no_excitation_filter(tmp_path, rig, space, backend, suffix, capsys):
    path = write(tmp_path, rig, space, backend=backend, suffix=suffix)
    links = stored_link_names(path, f"{RIG_GROUP}/Bergamo")
    assert links == {"microscope": "/general/devices/Bergamo", "excitation_source": "/general/devices/Laser",
                     "photodetector": "/general/devices/PMT", "emission_filter": "/general/devices/GreenFilter",
                     "objective_lens": "/general/devices/Objective"}
    line = rig_line(inspect_lines(path, capsys), "Bergamo")
    assert line == ("  Bergamo: microscope Bergamo, excitation source Laser, photodetector PMT, "
                    "emission filter GreenFilter, objective lens Objective")


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_a_rig_with_both_filters_and_a_dichroic_shows_each_under_its_own_link(tmp_path, rig, space, backend, suffix,
                                                                              capsys):
    full = (rig.excitation_filter("ExcitationFilter", manufacturer="Semrock", model="FF01-680/SP",
                                  filter_type="Shortpass", cut_wavelength_nm=680.0)
            .dichroic_mirror("Dichroic", manufacturer="Semrock", model="FF705-Di01", cut_on_wavelength_nm=705.0))
    path = write(tmp_path, full, space, backend=backend, suffix=suffix)
    links = stored_link_names(path, f"{RIG_GROUP}/Bergamo")
    assert links["excitation_filter"] == "/general/devices/ExcitationFilter"
    assert links["emission_filter"] == "/general/devices/GreenFilter"
    assert links["dichroic_mirror"] == "/general/devices/Dichroic"
    line = rig_line(inspect_lines(path, capsys), "Bergamo")
    shown = dict(part.rsplit(" ", 1) for part in line.split(": ", 1)[1].split(", "))
    assert shown == {"microscope": "Bergamo", "excitation source": "Laser", "excitation filter": "ExcitationFilter",
                     "dichroic mirror": "Dichroic", "photodetector": "PMT", "emission filter": "GreenFilter",
                     "objective lens": "Objective"}
    assert {name.replace(" ", "_"): f"/general/devices/{device}" for name, device in shown.items()} == links


@pytest.mark.parametrize("backend,suffix", BACKENDS)
@pytest.mark.parametrize("format", FORMATS)
def test_each_series_line_shows_its_channel_and_indicator(tmp_path, rig, space, format, backend, suffix, capsys):
    two_colour = rig.channel("Red", excitation_wavelength_nm=1040.0, emission_wavelength_nm=600.0,
                             indicator="tdTomato", description="Red channel")
    path = write(tmp_path, two_colour, space, format, backend, suffix, channels=("Green", "Red"))
    lines = inspect_lines(path, capsys)
    green = next(line for line in lines if "/SeriesGreen: " in line)
    red = next(line for line in lines if "/SeriesRed: " in line)
    assert green.endswith("; channel Green (excitation 920 nm, emission 525 nm), indicator GCaMP6s")
    assert red.endswith("; channel Red (excitation 1040 nm, emission 600 nm), indicator tdTomato")


def test_a_file_made_by_hand_shows_its_planes_channel_and_indicator(tmp_path, capsys):
    write_hand_made_file(tmp_path / "hand.nwb", "Movie")
    lines = inspect_lines(tmp_path / "hand.nwb", capsys)
    assert ("  acquisition/Movie: TwoPhotonSeries (4, 8, 6) uint16, 15 Hz from 0 s, 0.3 s; "
            "channel OpticalChannel (excitation 900 nm, emission 520 nm), indicator GCaMP7f") in lines


def test_the_command_itself_reads_the_stored_links(tmp_path, rig, space):
    path = write(tmp_path, rig, space, backend="zarr", suffix="nwb.zarr")
    done = subprocess.run([sys.executable, "-m", "microscopy_builder.cli", "inspect", str(path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "excitation filter" not in done.stdout and "emission filter GreenFilter" in done.stdout
    assert "; channel Green (excitation 920 nm, emission 525 nm), indicator GCaMP6s" in done.stdout


def test_a_file_in_memory_is_summarized_from_its_objects(rig, space):
    from microscopy_builder.summary import summarize

    session = new_session("ndx-microscopy").add(
        mb.SeriesBuilder("SeriesGreen").from_extractor(make_imaging()).rig(rig).space(space))
    lines = summarize(session.nwbfile)  # nothing read from a file: the objects' own fields
    assert rig_line(lines, "Bergamo") == ("  Bergamo: microscope Bergamo, excitation source Laser, photodetector PMT, "
                                          "emission filter GreenFilter, objective lens Objective")
