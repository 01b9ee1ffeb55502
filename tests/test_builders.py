"""Builders: immutability, subclassing, the specs they build, and the errors they raise."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

import microscopy_builder as mb
from microscopy_builder.specs import ImagingSpaceSpec, LineScanSpec, RigSpec, SeriesSpec


def test_every_call_returns_a_new_builder_and_leaves_the_original_unchanged(rig):
    before = rig.build()
    extended = rig.channel("Red", excitation_wavelength_nm=1040.0, emission_wavelength_nm=600.0, indicator="tdTomato")
    assert extended is not rig
    assert [c.name for c in rig.build().channels] == ["Green"]
    assert [c.name for c in extended.build().channels] == ["Green", "Red"]
    assert rig.build() == before


def test_builders_are_frozen(rig):
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rig.name = "other"


def test_rig_spec_holds_every_field_given(rig):
    spec = rig.build()
    assert isinstance(spec, RigSpec)
    assert spec.key == "Bergamo"
    assert (spec.microscope.name, spec.microscope.manufacturer, spec.microscope.model) == ("Bergamo", "Thorlabs", "Bergamo II")
    assert spec.microscope.serial_number == "B2-07" and spec.microscope.technique == "resonant scanning"
    assert spec.excitation_source.excitation_mode == "two-photon" and spec.excitation_source.power_w == 0.05
    assert spec.emission_filter.filter_type == "Bandpass" and spec.emission_filter.bandwidth_nm == 50.0
    assert spec.objective_lens.numerical_aperture == 0.8
    green = spec.channel("Green")
    assert (green.excitation_wavelength_nm, green.emission_wavelength_nm, green.indicator.label) == (920.0, 525.0, "GCaMP6s")


def test_channel_excitation_wavelength_defaults_to_the_source_wavelength(rig):
    spec = rig.channel("Green", emission_wavelength_nm=525.0).build()
    assert spec.channel("Green").excitation_wavelength_nm == 920.0


def test_a_device_of_the_same_name_is_replaced_and_another_name_adds_one(rig):
    spec = rig.photodetector("PMT", manufacturer="Hamamatsu", detector_type="GaAsP PMT").build()
    assert [d.name for d in spec.devices_in("photodetector")] == ["PMT"]
    assert spec.photodetector.detector_type == "GaAsP PMT"
    two = rig.photodetector("Camera", manufacturer="Hamamatsu", detector_type="sCMOS")
    with pytest.raises(mb.ValidationError, match=r"channels\['Green'\]\.photodetector: the rig has 2 photodetectors "
                                                 r"\('PMT', 'Camera'\); say which this channel uses"):
        two.build()
    spec = two.channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0, photodetector="Camera").build()
    assert [d.name for d in spec.devices_in("photodetector")] == ["PMT", "Camera"]
    assert spec.path(spec.channel("Green"))["photodetector"].name == "Camera"


def test_rich_indicator_is_kept_whole(rig):
    indicator = mb.Indicator(
        label="jGCaMP8m", manufacturer="Addgene",
        injection=mb.Injection(construct_name="AAV1-syn-jGCaMP8m", volume_ul=0.1, titer_vg_per_ml=1e13,
                               position=mb.Position(x_mm=-2.5, y_mm=-3.4, z_mm=-0.3, origin="bregma")),
    )
    spec = rig.channel("Green", emission_wavelength_nm=525.0, indicator=indicator).build()
    assert spec.channel("Green").indicator == indicator


class SmithLab2P(mb.RigBuilder):
    """A lab rig: its own methods on top of the base ones."""

    def standard_optics(self):
        return self.microscope(manufacturer="Bruker", model="Ultima").excitation_source(
            "Laser", manufacturer="Spectra-Physics", excitation_mode="two-photon", wavelength_nm=940.0
        )

    def green(self, indicator: str = "GCaMP6f"):
        return self.channel("Green", emission_wavelength_nm=510.0, indicator=indicator)


def test_subclass_methods_chain_with_base_methods_in_any_order():
    first = SmithLab2P("Smith2P").green().standard_optics().description("Smith lab rig")
    second = SmithLab2P("Smith2P").description("Smith lab rig").standard_optics().green()
    assert type(first) is SmithLab2P and type(second) is SmithLab2P
    assert type(SmithLab2P("x").objective_lens("Obj", numerical_aperture=1.0)) is SmithLab2P
    assert first.build() == second.build()
    assert first.build().channel("Green").excitation_wavelength_nm == 940.0


def test_space_builder_builds_planar_space():
    spec = (
        mb.ImagingSpaceBuilder("FOV", key="fov-1")
        .planar(pixel_size_um=(0.8, 0.9), dimensions_in_pixels=(512, 256))
        .anatomical_target("VISp2/3")
        .fov_center(x_mm=1.0, y_mm=-2.0, z_mm=-0.2, origin="bregma")
        .origin((0.001, 0.002, 0.0), reference_frame="bregma, RAS")
        .line_scan(line_rate_hz=8000.0)
        .build()
    )
    assert isinstance(spec, ImagingSpaceSpec) and spec.key == "fov-1" and spec.name == "FOV"
    assert spec.pixel_size_um == (0.8, 0.9) and spec.dimensions == (512, 256)
    assert spec.fov_center.z_mm == -0.2 and spec.origin.reference_frame == "bregma, RAS"
    assert spec.illumination == LineScanSpec(line_rate_hz=8000.0)


def test_series_builder_defaults_and_overrides(rig, space, imaging):
    base = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    spec = base.build()
    assert isinstance(spec, SeriesSpec)
    assert spec.channel == "Green"  # the rig's only channel
    assert spec.location == "acquisition" and spec.unit == "n.a."
    processed = base.in_processing().unit("photons", conversion=2.0).rate(15.0, starting_time=1.0).build()
    assert (processed.location, processed.unit, processed.conversion) == ("processing", "photons", 2.0)
    assert (processed.rate, processed.starting_time) == (15.0, 1.0)
    stamped = base.rate(15.0).timestamps(np.arange(40) / 10.0).build()
    assert stamped.rate is None and np.array_equal(stamped.timestamps, np.arange(40) / 10.0)
    assert base.build().rate is None  # the base builder did not change


def test_series_without_space_names_the_field_and_the_fix(rig, imaging):
    with pytest.raises(mb.ValidationError) as error:
        mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).build()
    assert any("space" in p and ".space(" in p for p in error.value.problems)


def test_channel_missing_from_the_rig(rig, space, imaging):
    with pytest.raises(mb.ValidationError, match="no channel 'Red'.*Green"):
        mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).channel("Red").space(space).build()


def test_all_problems_come_in_one_error(imaging):
    bad_rig = mb.RigBuilder("R").channel("G", excitation_wavelength_nm=float("nan"), emission_wavelength_nm=-5)
    bad_space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(0.0, 1.0))
    with pytest.raises(mb.ValidationError) as error:
        mb.SeriesBuilder("Movie").from_extractor(imaging).rig(bad_rig).space(bad_space).build()
    text = "\n".join(error.value.problems)
    for fragment in ("microscope: required", "excitation_wavelength_nm", "emission_wavelength_nm", "pixel_size_um"):
        assert fragment in text
    assert len(error.value.problems) >= 4


def test_non_numeric_value_is_a_validation_error():
    with pytest.raises(mb.ValidationError, match="excitation_source"):
        mb.RigBuilder("R").excitation_source("Laser", power_w="a lot")


def test_bad_timestamps_are_refused(rig, space, imaging):
    base = mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space)
    with pytest.raises(mb.ValidationError, match="one per frame"):
        base.timestamps(np.arange(10) / 30.0).build()
    backwards = np.arange(40) / 30.0
    backwards[5] = 0.0
    with pytest.raises(mb.ValidationError, match="increase strictly"):
        base.timestamps(backwards).build()


def test_names_with_slashes_are_refused():
    with pytest.raises(mb.ValidationError, match="may not contain"):
        mb.RigBuilder("FF03-525/50").microscope(manufacturer="x").build()


def test_space_dimensions_must_match_the_data(rig, imaging):
    space = mb.ImagingSpaceBuilder("S").planar(pixel_size_um=(1, 1), dimensions_in_pixels=(12, 17))
    with pytest.raises(mb.ValidationError, match=r"12 rows x 17 columns, i.e. \(x, y\) = \(17, 12\)"):
        mb.SeriesBuilder("Movie").from_extractor(imaging).rig(rig).space(space).build()
