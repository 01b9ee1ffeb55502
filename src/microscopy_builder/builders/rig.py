"""``RigBuilder``: a microscope, its optical devices and its channels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import attrs

from ..specs import (
    ChannelSpec,
    DichroicMirrorSpec,
    ExcitationSourceSpec,
    IndicatorSpec,
    MicroscopeSpec,
    ObjectiveLensSpec,
    OpticalFilterSpec,
    PhotodetectorSpec,
    RigSpec,
)
from ..specs.rig import OPTICAL_SLOTS
from ._base import Builder, make_spec


@attrs.frozen
class RigBuilder(Builder):
    """Describe a rig with chained calls; ``build()`` gives a ``RigSpec``.

    Each device method adds a device of its kind, or replaces the one of the same name; a rig may
    hold several of a kind (two detectors and two filters of a two-colour rig), and each channel
    then names its light path (``photodetector="PMT_Red"``). ``channel`` adds a channel or replaces
    the one of the same name. Subclass it to give a lab's rig its own methods: every call returns
    the subclass.

    Examples
    --------
    >>> rig = (RigBuilder("Bergamo")
    ...        .microscope(manufacturer="Thorlabs", model="Bergamo II")
    ...        .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0,
    ...                 indicator="GCaMP6s"))
    """

    _description: str | None = attrs.field(default=None, kw_only=True, alias="description")
    _optical_path_scheme: str | None = attrs.field(default=None, kw_only=True, alias="optical_path_scheme")
    _devices: tuple[tuple[str, Any], ...] = attrs.field(default=(), kw_only=True, alias="devices")
    _channels: tuple[ChannelSpec, ...] = attrs.field(default=(), kw_only=True, alias="channels")

    def description(self, text: str) -> Self:
        """Describe the rig as a whole (the light path, what it is used for)."""
        return self._with(description=text)

    def optical_path_scheme(self, image: Any) -> Self:
        """A diagram of the light path from source to detector: an image, (rows, columns) grey or (rows, columns,
        3 or 4) colour (ndx-microscopy ``MicroscopyRig.optical_path_scheme``; the legacy format has no place for it)."""
        return self._with(optical_path_scheme=image)

    def microscope(self, *, name: str | None = None, **fields: Any) -> Self:
        """The microscope body: ``manufacturer``, ``model``, ``serial_number``, ``technique``, ``description``.

        ``name`` defaults to the rig's name.
        """
        return self._device("microscope", MicroscopeSpec, name or self.name, fields)

    def excitation_source(self, name: str, **fields: Any) -> Self:
        """A laser or LED.

        Fields: ``manufacturer``, ``model``, ``serial_number``, ``description``,
        ``excitation_mode`` ("one-photon" | "two-photon" | "three-photon" | "other"),
        ``source_type`` (e.g. "Ti:sapphire laser", "LED"), ``wavelength_nm`` (operating wavelength;
        the default excitation wavelength of the rig's channels), ``wavelength_range_nm``,
        ``power_w``, ``intensity_w_per_m2``, ``exposure_time_s``, and for pulsed lasers
        ``pulse_rate_hz``, ``pulse_width_s``, ``peak_power_w``, ``peak_pulse_energy_j``.
        """
        return self._device("excitation_source", ExcitationSourceSpec, name, fields)

    def excitation_filter(self, name: str, **fields: Any) -> Self:
        """The excitation filter; fields as for :meth:`emission_filter`."""
        return self._device("excitation_filter", OpticalFilterSpec, name, fields)

    def emission_filter(self, name: str, **fields: Any) -> Self:
        """The emission filter.

        Band filters: ``center_wavelength_nm`` and ``bandwidth_nm`` (``filter_type`` "Bandpass",
        the default, or "Bandstop"). Edge filters: ``filter_type`` "Longpass" / "Shortpass" and
        ``cut_wavelength_nm`` (slopes optional). Also ``manufacturer``, ``model``,
        ``serial_number``, ``description``.
        """
        return self._device("emission_filter", OpticalFilterSpec, name, fields)

    def dichroic_mirror(self, name: str, **fields: Any) -> Self:
        """The dichroic: ``cut_on_wavelength_nm``, ``cut_off_wavelength_nm``, ``reflection_band_nm``,
        ``transmission_band_nm``, ``angle_of_incidence_deg``, plus the common device fields."""
        return self._device("dichroic_mirror", DichroicMirrorSpec, name, fields)

    def photodetector(self, name: str, **fields: Any) -> Self:
        """The detector: ``detector_type`` (e.g. "PMT", "sCMOS"), ``wavelength_range_nm``, ``gain``,
        ``gain_unit``, plus the common device fields."""
        return self._device("photodetector", PhotodetectorSpec, name, fields)

    def objective_lens(self, name: str, **fields: Any) -> Self:
        """The objective: ``numerical_aperture``, ``magnification``, plus the common device fields."""
        return self._device("objective_lens", ObjectiveLensSpec, name, fields)

    def channel(
        self,
        name: str,
        *,
        excitation_wavelength_nm: float | None = None,
        emission_wavelength_nm: float | None = None,
        indicator: str | IndicatorSpec | None = None,
        description: str | None = None,
        excitation_source: str | None = None,
        excitation_filter: str | None = None,
        dichroic_mirror: str | None = None,
        photodetector: str | None = None,
        emission_filter: str | None = None,
        objective_lens: str | None = None,
    ) -> Self:
        """Add a channel (or replace the one named ``name``).

        ``indicator`` is a label such as ``"GCaMP6s"``, an ``mb.Indicator(...)`` with manufacturer
        and injection, or ``mb.UNKNOWN``. ``excitation_wavelength_nm`` defaults to the
        ``wavelength_nm`` of the channel's excitation source. The light path (``photodetector``,
        ``emission_filter``, ``excitation_source``, ``excitation_filter``, ``dichroic_mirror``,
        ``objective_lens``) names the rig's devices of each kind this channel uses; a kind left out
        is the rig's only device of that kind, and must be named when the rig has several.
        """
        if isinstance(indicator, str):
            indicator = IndicatorSpec(label=indicator)
        path = dict(excitation_source=excitation_source, excitation_filter=excitation_filter,
                    dichroic_mirror=dichroic_mirror, photodetector=photodetector, emission_filter=emission_filter,
                    objective_lens=objective_lens)
        channel = make_spec(
            ChannelSpec,
            f"rig {self.name!r}.channels[{name!r}]",
            name=name,
            excitation_wavelength_nm=excitation_wavelength_nm,
            emission_wavelength_nm=emission_wavelength_nm,
            indicator=indicator,
            description=description,
            **path,
        )
        kept = tuple(c for c in self._channels if c.name != name)
        return self._with(channels=(*kept, channel))

    def _device(self, slot: str, spec_class: type, name: str, fields: dict[str, Any]) -> Self:
        device = make_spec(spec_class, f"rig {self.name!r}.{slot}", name=name, **fields)
        single = slot == "microscope"  # one microscope; optical devices: one per name
        kept = tuple((s, d) for s, d in self._devices if s != slot or (not single and d.name != device.name))
        return self._with(devices=(*kept, (slot, device)))

    def to_dict(self) -> dict[str, Any]:
        """This builder as a plain mapping of its calls (the form session files take)."""
        from .mapping import rig_to_dict

        return rig_to_dict(self)

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any], *, where: str | None = None) -> Self:
        """The builder a mapping from :meth:`to_dict` (or a session file) describes.

        ``where`` names the mapping in messages (default ``"rigs.<name>"``).
        """
        from .mapping import rig_from_dict

        return rig_from_dict(cls, name, data, where or f"rigs.{name}")

    def _assemble(self, problems: list[str]) -> RigSpec:
        microscope = next((d for s, d in self._devices if s == "microscope"), None)
        rig = RigSpec(
            **self._spec_kwargs(),
            description=self._description,
            optical_path_scheme=self._optical_path_scheme,
            microscope=microscope,
            optics=tuple((s, d) for s, d in self._devices if s in OPTICAL_SLOTS),
            channels=self._channels,
        )
        return attrs.evolve(rig, channels=tuple(_excitation_from_source(rig, c) for c in rig.channels))


def _excitation_from_source(rig: RigSpec, channel: ChannelSpec) -> ChannelSpec:
    """A channel without an excitation wavelength takes its light source's operating wavelength."""
    source = rig.path(channel).get("excitation_source")
    if channel.excitation_wavelength_nm is None and source is not None and source.wavelength_nm is not None:
        return attrs.evolve(channel, excitation_wavelength_nm=source.wavelength_nm)
    return channel
