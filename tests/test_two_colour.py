"""Two-colour rigs: several devices of a kind, each channel naming its light path; device models told
apart by kind and content."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

import microscopy_builder as mb

from .conftest import BACKENDS, FORMATS, make_imaging, new_session, read, series_named


def ultima() -> mb.RigBuilder:
    return (
        mb.RigBuilder("Ultima")
        .microscope(manufacturer="Bruker", model="Ultima Investigator")
        .excitation_source("Laser", manufacturer="Coherent", model="Chameleon Discovery", excitation_mode="two-photon",
                           source_type="Ti:sapphire laser", wavelength_nm=920.0)
        .objective_lens("Objective", manufacturer="Nikon", model="CFI75 16X", numerical_aperture=0.8, magnification=16.0)
        .photodetector("PMT_Green", manufacturer="Hamamatsu", model="H10770PA-40", detector_type="GaAsP PMT", gain=0.7)
        .photodetector("PMT_Red", manufacturer="Hamamatsu", model="H7422", detector_type="PMT", gain=0.5)
        .emission_filter("GreenFilter", manufacturer="Semrock", model="FF03-525/50", center_wavelength_nm=525.0, bandwidth_nm=50.0)
        .emission_filter("RedFilter", manufacturer="Semrock", model="FF01-610/75", center_wavelength_nm=610.0, bandwidth_nm=75.0)
        .channel("Green", emission_wavelength_nm=525.0, indicator="GCaMP6s", photodetector="PMT_Green",
                 emission_filter="GreenFilter")
        .channel("Red", emission_wavelength_nm=610.0, indicator="tdTomato", photodetector="PMT_Red", emission_filter="RedFilter")
    )


def space():
    return mb.ImagingSpaceBuilder("V1").planar(pixel_size_um=(1.0, 1.0)).anatomical_target("VISp").line_scan()


def session_of(format, rig=None):
    rig = rig or ultima()
    session = new_session(format)
    for channel, seed in (("Green", 1), ("Red", 2)):
        imaging = make_imaging(seed=seed)
        session.add(mb.SeriesBuilder(f"{channel}Series").from_extractor(imaging).rig(rig).channel(channel).space(space()))
    return session


GIVEN_DEVICES = ["GreenFilter", "Laser", "Objective", "PMT_Green", "PMT_Red", "RedFilter", "Ultima"]


def link_names(path, group_path):
    """The names of the links an HDF5 group stores (hdmf's read of them can confuse two of one type)."""
    with h5py.File(path, "r") as file:
        group = file[group_path]
        return sorted(name for name in group if isinstance(group.get(name, getlink=True), h5py.SoftLink))


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_each_channel_links_its_own_light_path_in_ndx_microscopy(tmp_path, backend, suffix):
    path = session_of("ndx-microscopy").write(tmp_path / f"two.{suffix}", backend=backend)
    with read(path) as nwbfile:
        assert sorted(nwbfile.devices) == GIVEN_DEVICES  # every device once, under its own name
        rigs = nwbfile.lab_meta_data["microscopy_experiment_metadata"].microscopy_rigs
        assert sorted(rigs) == ["Ultima_Green", "Ultima_Red"]
        green, red = series_named(nwbfile, "GreenSeries"), series_named(nwbfile, "RedSeries")  # in a multi-channel group
        assert green.microscopy_rig.name == "Ultima_Green" and red.microscopy_rig.name == "Ultima_Red"
        assert green.microscopy_rig.photodetector.name == "PMT_Green" and red.microscopy_rig.photodetector.name == "PMT_Red"
        for shared in ("microscope", "excitation_source", "objective_lens"):
            assert getattr(green.microscopy_rig, shared).object_id == getattr(red.microscopy_rig, shared).object_id
        assert green.microscopy_channel.excitation_wavelength_in_nm == 920.0  # from the channel's own source
        assert red.microscopy_channel.indicator.label == "tdTomato"
    if backend == "hdf5":
        links = link_names(path, "general/microscopy_experiment_metadata/Ultima_Red")
        assert links == ["emission_filter", "excitation_source", "microscope", "objective_lens", "photodetector"]
        with h5py.File(path, "r") as file:
            target = file["general/microscopy_experiment_metadata/Ultima_Red"].get("emission_filter", getlink=True).path
            assert target.endswith("/RedFilter")


@pytest.mark.parametrize("backend,suffix", BACKENDS)
def test_legacy_writes_every_device_once_and_each_channel_describes_its_path(tmp_path, backend, suffix):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = session_of("legacy").write(tmp_path / f"two.{suffix}", backend=backend)
    kept_as_text = [w for w in caught if issubclass(w.category, mb.CompatibilityWarning) and "light path" in str(w.message)]
    assert len(kept_as_text) == 1 and "rig 'Ultima'" in str(kept_as_text[0].message)
    with read(path) as nwbfile:
        assert sorted(nwbfile.devices) == GIVEN_DEVICES  # no extra devices
        assert sorted(nwbfile.imaging_planes) == ["V1_Green", "V1_Red"]
        red = nwbfile.imaging_planes["V1_Red"].optical_channel[0]
        assert "PMT_Red" in red.description and "RedFilter" in red.description and "PMT_Green" not in red.description
        assert nwbfile.imaging_planes["V1_Red"].device.name == "Ultima"
        assert nwbfile.acquisition["RedSeries"].pmt_gain == 0.5 and nwbfile.acquisition["GreenSeries"].pmt_gain == 0.7


@pytest.mark.parametrize("format", FORMATS)
def test_a_single_path_rig_keeps_one_rig_and_needs_no_names(tmp_path, format, rig):
    session = new_session(format).add(mb.SeriesBuilder("S").from_extractor(make_imaging()).rig(rig).space(space()))
    with read(session.write(tmp_path / "one.nwb")) as nwbfile:
        if format == "ndx-microscopy":
            assert list(nwbfile.lab_meta_data["microscopy_experiment_metadata"].microscopy_rigs) == ["Bergamo"]


def test_a_channel_must_name_a_device_the_rig_has_several_of():
    rig = ultima().channel("Blue", excitation_wavelength_nm=800.0, emission_wavelength_nm=460.0)
    with pytest.raises(mb.ValidationError) as raised:
        rig.build()
    text = str(raised.value)
    assert "channels['Blue'].photodetector: the rig has 2 photodetectors ('PMT_Green', 'PMT_Red')" in text
    assert "channels['Blue'].emission_filter: the rig has 2 emission filters" in text
    with pytest.raises(mb.ValidationError, match=r"channels\['Green'\]\.photodetector: the rig has no photodetector 'PMT_Blue'"):
        ultima().channel("Green", emission_wavelength_nm=525.0, photodetector="PMT_Blue", emission_filter="GreenFilter").build()


def test_the_light_path_survives_the_round_trip_through_a_mapping():
    rig = ultima()
    again = mb.RigBuilder.from_dict("Ultima", rig.to_dict())
    assert again.build() == rig.build()
    assert isinstance(rig.to_dict()["photodetector"], list) and rig.to_dict()["channels"][1]["photodetector"] == "PMT_Red"


@pytest.mark.parametrize("format", FORMATS)
def test_devices_of_other_kinds_with_one_model_text_are_two_models(tmp_path, format):
    rig = (mb.RigBuilder("Home").microscope(manufacturer="Lab", model="unknown")
           .excitation_source("Laser", manufacturer="Lab", model="unknown", excitation_mode="two-photon", source_type="laser")
           .photodetector("PMT", manufacturer="Lab", model="unknown", detector_type="PMT")
           .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s"))
    session = new_session(format).add(mb.SeriesBuilder("S").from_extractor(make_imaging()).rig(rig).space(space()))
    with read(session.write(tmp_path / "models.nwb")) as nwbfile:
        models = nwbfile.device_models
        assert sorted(models) == ["unknown", "unknown_excitation_source", "unknown_photodetector"]
        assert nwbfile.devices["PMT"].model.name == "unknown_photodetector"
        assert nwbfile.devices["Laser"].model.name == "unknown_excitation_source"
    with mb.Session.open(tmp_path / "models.nwb") as again:  # appended again: the file's models are reused as they are
        again.add(mb.SeriesBuilder("T").from_extractor(make_imaging(seed=3)).rig(rig).space(space())).write()
    with read(tmp_path / "models.nwb") as nwbfile:
        assert sorted(nwbfile.device_models) == ["unknown", "unknown_excitation_source", "unknown_photodetector"]
        assert np.all(nwbfile.acquisition["T"].data[:] == nwbfile.acquisition["T"].data[:])
