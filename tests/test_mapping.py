"""Builders export themselves as plain mappings (the session-file form) and come back unchanged."""

from __future__ import annotations

import pytest
import yaml

import microscopy_builder as mb
from microscopy_builder.demo import demo_rig, demo_space


def through_yaml(data):
    """What a YAML file holding ``data`` gives back when loaded safely."""
    return yaml.safe_load(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize(
    "make",
    [
        demo_rig,  # every optical slot, an indicator with its injection and coordinates
        lambda: mb.RigBuilder("Scope", key="scope-2026").microscope(manufacturer="X", model="Y").channel(
            "Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, indicator="GCaMP6s").channel(
            "Red", excitation_wavelength_nm=1040.0, emission_wavelength_nm=600.0),
    ],
)
def test_rigs_survive_the_round_trip(make):
    rig = make()
    data = through_yaml(rig.to_dict())
    again = mb.RigBuilder.from_dict(rig.name, data)
    assert again.build() == rig.build() and again.to_dict() == data


@pytest.mark.parametrize(
    "make",
    [
        demo_space,  # fov centre and a line scan
        lambda: mb.ImagingSpaceBuilder("Vol", key="vol-1").volumetric(voxel_size_um=(1, 1, 5), dimensions_in_voxels=(64, 48, 7))
        .anatomical_target("CA1").plane_acquisition(plane_rate_hz=20.0).origin((0.1, 0.2, 0.3), reference_frame="bregma"),
        lambda: demo_space().at_depth(150),
        lambda: demo_space().at_depth(-12.5, name="Shallow", key="shallow"),
        lambda: mb.ImagingSpaceBuilder("Targets").planar(pixel_size_um=(2, 2)).random_access_scan(max_scan_points=50),
        lambda: mb.ImagingSpaceBuilder("Odd").planar(pixel_size_um=(2, 2)).illumination("A DMD pattern"),
    ],
)
def test_spaces_survive_the_round_trip(make):
    space = make()
    data = through_yaml(space.to_dict())
    again = mb.ImagingSpaceBuilder.from_dict(space.name, data)
    assert again.build() == space.build() and again.to_dict() == data


def test_a_lab_subclass_comes_back_as_the_subclass():
    class LabRig(mb.RigBuilder):
        def green(self):
            return self.channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0)

    rig = LabRig("Lab").microscope(manufacturer="X", model="Y").green()
    again = LabRig.from_dict("Lab", rig.to_dict())
    assert type(again) is LabRig and again.build() == rig.build()


@pytest.mark.parametrize(
    "data,message",
    [
        ({"microscope": {"maker": "X"}}, r"rigs\.Scope\.microscope: unknown field\(s\) maker"),
        ({"channels": [{"emission_wavelength_nm": 525.0}]}, r"rigs\.Scope\.channels\[0\]\.name: required"),
        ({"channels": {"name": "Green"}}, r"rigs\.Scope\.channels: must be a list"),
        ({"emission_filter": {"model": "X"}}, r"rigs\.Scope\.emission_filter\.name: required"),
        ({"laser": {}}, r"rigs\.Scope: unknown field\(s\) laser"),
        ({"channels": [{"name": "G", "indicator": {"label": "GCaMP6s", "injection": {"volume": 1}}}]},
         r"rigs\.Scope\.channels\[0\]\.indicator\.injection: unknown field\(s\) volume"),
    ],
)
def test_mapping_errors_name_the_place(data, message):
    with pytest.raises(mb.ValidationError, match=message):
        mb.RigBuilder.from_dict("Scope", data)


def test_space_mapping_errors_name_the_place():
    with pytest.raises(mb.ValidationError, match=r"spaces\.V1\.planar: unknown field\(s\) pixel_size"):
        mb.ImagingSpaceBuilder.from_dict("V1", {"planar": {"pixel_size": [1, 1]}})
    with pytest.raises(mb.ValidationError, match=r"spaces\.V1\.at_depth\.depth_um: required"):
        mb.ImagingSpaceBuilder.from_dict("V1", {"at_depth": {"base": "V1base"}, "planar": {"pixel_size_um": [1, 1]}})
