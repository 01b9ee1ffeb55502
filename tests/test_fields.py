"""A field is declared once: builder methods, their checks, session files and the docs follow from the spec fields."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import attrs
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from roiextractors import NumpySegmentationExtractor

import microscopy_builder as mb
from microscopy_builder.builders.calls import Item, arguments_of
from microscopy_builder.builders.reference import BUILDERS, DOCS, STUB, field_reference, stub_text
from microscopy_builder.emit.fields import NDX_ATTRIBUTE
from microscopy_builder.specs import devices, segmentation, series, space
from microscopy_builder.specs.fields import info

from .conftest import make_imaging
from .test_every_field import maximal_rig, maximal_space

ROOT = Path(__file__).resolve().parent.parent


def test_the_field_reference_and_the_method_stubs_are_what_the_declarations_generate():
    assert DOCS == ROOT / "docs" / "fields.md"
    assert DOCS.read_text() == field_reference(), "run: python -m microscopy_builder.builders.reference"
    assert STUB.read_text() == stub_text(), "run: python -m microscopy_builder.builders.reference"
    compile(STUB.read_text(), str(STUB), "exec")  # the stub is Python


def test_the_field_reference_is_linked_and_lists_the_light_path_of_a_channel():
    for page in (ROOT / "README.md", ROOT / "docs" / "index.md"):
        assert "fields.md" in page.read_text(), page
    reference = DOCS.read_text()
    for parameter in ("photodetector", "emission_filter", "excitation_source", "dichroic_mirror"):
        assert f"| `{parameter}` | str |" in reference
    assert "### `.channel(name, ...)`" in reference and "| `excitation_wavelength_nm` | float | nm | `None` | yes |" in reference


def test_methods_list_their_typed_parameters_with_defaults():
    parameters = inspect.signature(mb.RigBuilder.photodetector).parameters
    assert list(parameters)[:2] == ["self", "name"]
    assert parameters["gain"].kind is inspect.Parameter.KEYWORD_ONLY and parameters["gain"].default is None
    assert float in typing.get_args(parameters["gain"].annotation)
    assert "gain" in inspect.getdoc(mb.RigBuilder.photodetector)
    rate = inspect.signature(mb.SeriesBuilder.rate).parameters
    assert rate["rate_hz"].annotation is float and rate["starting_time"].default is None
    assert "in Hz" in inspect.getdoc(mb.SeriesBuilder.rate) or "rate_hz" in inspect.getdoc(mb.SeriesBuilder.rate)


def test_enumerations_are_literal_types_whose_values_replace_the_tuples():
    assert typing.get_args(devices.ExcitationMode) == ("one-photon", "two-photon", "three-photon", "other")
    assert segmentation.MASK_TYPES == typing.get_args(segmentation.MaskType)
    assert series.CONTINUITIES == typing.get_args(series.Continuity) and series.LOCATIONS == typing.get_args(series.Location)
    assert space.ImagingSpaceSpec.GEOMETRIES == typing.get_args(space.Geometry)
    mode = inspect.signature(mb.RigBuilder.excitation_source).parameters["excitation_mode"].annotation
    assert devices.ExcitationMode in typing.get_args(mode)


def _calls():
    return [(builder, call) for builder in BUILDERS for call in builder.calls]


@pytest.mark.parametrize("builder,call", _calls(), ids=lambda x: getattr(x, "name", getattr(x, "__name__", "")))
def test_a_misspelled_keyword_fails_at_the_call_naming_the_valid_ones(builder, call):
    known = [a.name for a in arguments_of(call, builder.spec_class) if a.kind != "varargs"]
    with pytest.raises(mb.ValidationError, match="unknown field\\(s\\) colour; known fields are") as error:
        getattr(builder("X"), call.name)(colour="red")
    assert all(name in str(error.value) for name in known if name not in ("name", "key"))


def test_every_field_of_an_item_spec_is_a_parameter_of_its_method():
    for builder, call in _calls():
        if not isinstance(call, Item):
            continue
        names = {a.name for a in arguments_of(call, builder.spec_class)}
        expected = set()
        for field in attrs.fields(call.spec):
            if field.name in call.expand:
                expected |= {f.name for f in attrs.fields(type(getattr(call.spec(**_required(call.spec)), field.name)))}
            elif field.init:
                expected.add(field.name)
        assert names == expected, (builder.__name__, call.name)


def _required(spec_class):
    return {f.name: "x" for f in attrs.fields(spec_class) if f.default is attrs.NOTHING}


DESCRIBED_ONLY = {  # device fields ndx-ophys-devices has no attribute for: both formats write them into descriptions
    "wavelength_nm", "binning",
}


def test_every_device_field_with_a_role_has_an_ndx_attribute_or_goes_into_the_description():
    common = {f.name for f in attrs.fields(devices.DeviceSpec)}
    for spec_class in (devices.MicroscopeSpec, devices.ExcitationSourceSpec, devices.OpticalFilterSpec,
                       devices.DichroicMirrorSpec, devices.PhotodetectorSpec, devices.ObjectiveLensSpec):
        for field in attrs.fields(spec_class):
            if field.name in common or info(field).role is None:
                continue
            assert field.name in NDX_ATTRIBUTE or field.name in DESCRIBED_ONLY, (spec_class.__name__, field.name)


@pytest.mark.parametrize("spec_class", [devices.ExcitationSourceSpec, devices.OpticalFilterSpec, devices.DichroicMirrorSpec,
                                        devices.ObjectiveLensSpec, mb.Position, mb.Injection, space.LineScanSpec,
                                        space.RandomAccessScanSpec])
def test_bounds_are_checked_from_the_declarations(spec_class):
    required = {"name": "D", "x_mm": 0.0, "y_mm": 0.0, "z_mm": 0.0, "origin": "bregma", "construct_name": "AAV",
                "volume_ul": 0.1}
    given = {k: v for k, v in required.items() if k in attrs.fields_dict(spec_class)}
    bounded = [f for f in attrs.fields(spec_class) if info(f).bound is not None]
    assert bounded
    for field in bounded:
        wrong = float("inf") if info(field).bound == "finite" else -1.0
        value = (wrong, 1.0) if "tuple" in str(field.type) else wrong
        problems = spec_class(**{**given, field.name: value}).problems("here")
        assert any(p.startswith(f"here.{field.name}: must be a finite") for p in problems), (field.name, problems)


# -- wrong types at every public method --------------------------------------------------------------------
def _segmentation_source():
    rng = np.random.default_rng(0)
    return NumpySegmentationExtractor(image_masks=rng.random((12, 17, 2)).astype("float32"),
                                      raw=rng.random((40, 2)).astype("float32"), mean_image=rng.random((12, 17)),
                                      sampling_frequency=30.0, movie_dims=(12, 17))


def _good(builder_class):
    """A builder of ``builder_class`` that builds."""
    rig, space_ = maximal_rig(), maximal_space()
    if builder_class is mb.RigBuilder:
        return rig
    if builder_class is mb.ImagingSpaceBuilder:
        return space_
    series_ = mb.SeriesBuilder("S").from_extractor(make_imaging()).rig(rig).space(space_)
    if builder_class is mb.SeriesBuilder:
        return series_
    if builder_class is mb.SegmentationBuilder:
        return mb.SegmentationBuilder("P").from_extractor(_segmentation_source()).series(series_)
    return mb.StaticImageBuilder("I").from_array(np.zeros((12, 17), dtype="uint16")).rig(rig).space(space_)


WRONG = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**30), st.floats(allow_nan=True), st.text(max_size=8), st.binary(max_size=4),
    st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.tuples(st.floats(), st.text(max_size=2)),
    st.sampled_from([mb.UNKNOWN, object(), np.zeros((2, 3)), np.array(["a"]), 1 + 2j, mb.RigBuilder("R"),
                     mb.ImagingSpaceBuilder("S"), {"a"}, range(3), mb.Position(x_mm=0, y_mm=0, z_mm=0, origin="b")]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(data=st.data())
def test_wrong_types_at_any_builder_method_raise_only_builder_errors(data):
    builder_class, call = data.draw(st.sampled_from(_calls()))
    method = getattr(builder_class, call.name)
    arguments, keywords = [], {}
    for parameter in list(inspect.signature(method).parameters.values())[1:]:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            arguments += data.draw(st.lists(WRONG, max_size=2))
        elif parameter.default is inspect.Parameter.empty or data.draw(st.booleans()):
            keywords[parameter.name] = data.draw(WRONG)
    try:
        getattr(_good(builder_class), call.name)(*arguments, **keywords).build()
    except mb.BuilderError:
        pass


@settings(max_examples=60, deadline=None, derandomize=True)
@given(name=WRONG, key=WRONG)
def test_wrong_names_and_keys_raise_only_builder_errors_at_build(name, key):
    for builder_class in BUILDERS:
        try:
            builder_class(name, key=key).build()
        except mb.BuilderError:
            pass


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: mb.SeriesBuilder("S").rig("Bergamo"),
         r"series 'S'\.rig: cannot use 'Bergamo' here; give a RigBuilder or a RigSpec"),
        (lambda: mb.RigBuilder("R").channel("G", emission_wavelength_nm=525.0, indicator=5),
         r"rig 'R'\.channels\['G'\]\.indicator: cannot use 5 here; give a label such as 'GCaMP6s', an mb\.Indicator\(\.\.\.\), "
         r"or mb\.UNKNOWN"),
        (lambda: mb.SeriesBuilder("S").from_extractor(np.zeros((10, 4, 5))),
         r"series 'S'\.source: a numpy array is not an extractor; wrap the array in an extractor: "
         r"roiextractors\.NumpyImagingExtractor\(array\[\.\.\., None\], sampling_frequency=\.\.\.\)"),
        (lambda: mb.ImagingSpaceBuilder("V").planar(pixel_size_um=1.2),
         r"space 'V'\.pixel_size_um: cannot use 1\.2 here; give a pair \(x, y\) of numbers in um or mb\.UNKNOWN"),
        (lambda: mb.ImagingSpaceBuilder("V").volumetric(voxel_size_um=1.2),
         r"space 'V'\.voxel_size_um: cannot use 1\.2 here; give a triple \(x, y, z\) of numbers in um or mb\.UNKNOWN"),
        (lambda: mb.SegmentationBuilder("P").series(mb.RigBuilder("R")),
         r"segmentation 'P'\.series: cannot use .* here; give a SeriesBuilder or a SeriesSpec"),
        (lambda: mb.RigBuilder("R").excitation_source("L", wavelength_range_nm=(700, "far")),
         r"rig 'R'\.excitation_source\.wavelength_range_nm: must be numbers in nm, got \(700, 'far'\)"),
    ],
)
def test_wrong_types_get_a_message_saying_what_to_give(make, message):
    with pytest.raises(mb.ValidationError, match=message):
        make()


# -- session files follow from the same declarations -------------------------------------------------------------
def test_a_rig_and_a_space_with_every_field_survive_the_round_trip_through_a_mapping():
    for builder in (maximal_rig().optical_path_scheme(np.arange(6).reshape(2, 3)), maximal_space(), maximal_space("volumetric"),
                    maximal_space().at_depth(100.0)):
        data = builder.to_dict()
        again = type(builder).from_dict(builder.name, data)
        assert again.build() == builder.build() and again.to_dict() == data


def test_a_series_and_a_segmentation_with_every_call_survive_the_round_trip(tmp_path):
    np.save(tmp_path / "movie.npy", np.zeros((40, 12, 17, 1), dtype="uint16"))
    extractor = {"NumpyImagingExtractor": {"timeseries": str(tmp_path / "movie.npy"), "sampling_frequency": 30.0}}
    rigs, spaces = {"Full": maximal_rig()}, {"FOV": maximal_space()}
    data = {"extractor": extractor, "rig": "Full", "space": "FOV", "description": "d",
            "unit": {"unit": "photons", "conversion": 0.5, "offset": 1.0}, "in_processing": True,
            "rate": {"rate_hz": 30.0, "starting_time": 0.5}, "legacy_type": "TwoPhotonSeries",
            "grouped": {"planes": "Planes"}, "resolution": 0.25, "comments": "c", "continuity": "step",
            "control": [0, 1] * 20, "control_description": ["rest", "stimulus"]}
    series_ = mb.SeriesBuilder.from_dict("S", data, rigs=rigs, spaces=spaces)
    assert series_.to_dict() == data
    assert mb.SeriesBuilder.from_dict("S", {**data, "grouped": False}, rigs=rigs, spaces=spaces).to_dict()["grouped"] is False
    spec = series_.build()
    assert (spec.unit, spec.conversion, spec.location, spec.rate, spec.plane_group) == ("photons", 0.5, "processing", 30.0, "Planes")
    segmentation_data = {"series": "S", "rig": "Full", "channel": "Green", "masks": "pixel", "description": "d",
                         "traces": ["raw"], "trace": {"raw": {"unit": "a.u.", "conversion": 2.0, "resolution": 0.1}},
                         "include_background": True, "include_centroids": False, "summary_images": ["mean"],
                         "rename_images": {"mean": "Mean"}, "describe_images": {"mean": "The mean."}}
    rois = mb.SegmentationBuilder.from_dict("P", segmentation_data, rigs=rigs, spaces=spaces, series={"S": series_})
    assert rois.to_dict() == segmentation_data
    built = rois.from_extractor(_segmentation_source()).build()
    assert built.trace_spec("raw").options.resolution == 0.1 and built.image_name("mean") == "Mean"


def test_nested_values_in_a_mapping_are_plain_yaml_with_unknown_as_text():
    injection = mb.Injection(construct_name="AAV1-syn-GCaMP6s", volume_ul=mb.UNKNOWN,
                             position=mb.Position(x_mm=1.0, y_mm=2.0, z_mm=mb.UNKNOWN, origin="bregma"))
    rig = mb.RigBuilder("R").microscope(manufacturer="Thorlabs", model="Bergamo II").channel(
        "G", excitation_wavelength_nm=920.0, emission_wavelength_nm=mb.UNKNOWN,
        indicator=mb.Indicator(label="GCaMP6s", injection=injection))
    text = yaml.safe_dump(rig.to_dict())  # plain types only: safe_dump refuses anything else
    channel = yaml.safe_load(text)["channels"][0]
    assert channel["emission_wavelength_nm"] == "UNKNOWN"
    assert channel["indicator"]["injection"] == {"construct_name": "AAV1-syn-GCaMP6s", "volume_ul": "UNKNOWN",
                                                 "position": {"x_mm": 1.0, "y_mm": 2.0, "z_mm": "UNKNOWN", "origin": "bregma"}}
    assert mb.RigBuilder.from_dict("R", yaml.safe_load(text)).build() == rig.build()


def test_a_value_a_spec_refuses_while_being_read_names_its_place():
    from microscopy_builder.builders.conversion import structure

    with pytest.raises(mb.ValidationError) as error:
        structure(mb.Indicator, {"label": "GCaMP6s", "injection": {"volume_ul": 0.1}, "colour": "green"}, "rigs.R.indicator")
    assert set(error.value.problems) == {"rigs.R.indicator: unknown field(s) colour",
                                         "rigs.R.indicator.injection.construct_name: required"}
    with pytest.raises(mb.ValidationError) as error:
        structure(mb.Indicator, {"injection": {"volume_ul": 0.1}}, "rigs.R.indicator")
    assert set(error.value.problems) == {"rigs.R.indicator.label: required", "rigs.R.indicator.injection.construct_name: required"}


def test_a_device_kind_lists_its_model_and_instance_fields_from_their_roles():
    assert devices.PhotodetectorSpec.model_properties == ("detector_type", "wavelength_range_nm")
    assert devices.PhotodetectorSpec.instance_properties == ("gain", "gain_unit", "binning")
    detector = devices.PhotodetectorSpec(name="PMT", gain=2.0, detector_type="PMT")
    assert detector.instance_values() == (("gain", 2.0),) and detector.model_spec().properties == (("detector_type", "PMT"),)
