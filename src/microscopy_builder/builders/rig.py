"""``RigBuilder``: a microscope, its optical devices and its channels."""

from __future__ import annotations

from typing import Any, Self

import attrs

from ..specs import (
    ChannelSpec,
    DichroicMirrorSpec,
    ExcitationSourceSpec,
    MicroscopeSpec,
    ObjectiveLensSpec,
    OpticalFilterSpec,
    PhotodetectorSpec,
    RigSpec,
)
from .methods import RigMethods
from .base import Builder, declare
from .calls import Item, Set, arg
from ..specs.header_notes import remember
from .mapping import ListOf, OneOrList
from .recorded import fill_rig, with_recorded


def _device(slot: str, spec: type, doc: str = "") -> Item:
    return Item(slot, doc, form=OneOrList(), spec=spec, into="optics", key="name", slot=True)


@declare
class RigBuilder(RigMethods, Builder):
    """Describe a rig with chained calls; ``build()`` gives a ``RigSpec``.

    Each device method adds a device of its kind, or replaces the one of the same name; a rig may
    hold several of a kind (two detectors and two filters of a two-colour rig), and each channel
    then names its light path (``photodetector="PMT_Red"``). ``channel`` adds a channel or replaces
    the one of the same name. Subclass it to give a lab's rig its own methods: every call returns
    the subclass. The methods and their parameters are listed in ``docs/fields.md``.

    Examples
    --------
    >>> rig = (RigBuilder("Bergamo")
    ...        .microscope(manufacturer="Thorlabs", model="Bergamo II")
    ...        .channel("Green", excitation_wavelength_nm=920.0, emission_wavelength_nm=525.0,
    ...                 indicator="GCaMP6s"))
    """

    spec_class = RigSpec
    label = "rig"
    section = "rigs"
    calls = (
        Set("description", "Describe the rig as a whole (the light path, what it is used for).", (arg("text", "description"),)),
        Set("optical_path_scheme", "A diagram of the light path from source to detector (ndx-microscopy "
            "MicroscopyRig.optical_path_scheme; the legacy format has no place for it).",
            (arg("image", "optical_path_scheme"),)),
        Item("microscope", "The microscope body; its name defaults to the rig's name.", spec=MicroscopeSpec,
             into="microscope", positional=(), defaults=(("name", lambda builder: builder.name),)),
        _device("excitation_source", ExcitationSourceSpec),
        _device("excitation_filter", OpticalFilterSpec, "An excitation filter: band (center + bandwidth), edge "
                "(cut wavelength) or other."),
        _device("dichroic_mirror", DichroicMirrorSpec),
        _device("photodetector", PhotodetectorSpec),
        _device("emission_filter", OpticalFilterSpec, "An emission filter: band (center + bandwidth), edge "
                "(cut wavelength) or other."),
        _device("objective_lens", ObjectiveLensSpec),
        Item("channel", "Add a channel (or replace the one of its name): its wavelengths, its indicator and the "
             "devices of its light path (a kind left out is the rig's only one).", form=ListOf("channels"),
             spec=ChannelSpec, into="channels", key="name", at="channels[{key!r}]"),
    )

    def from_source(self, metadata: Any) -> Self:
        """Take what the acquisition header records as defaults: the objective (model, magnification, NA),
        the laser (wavelength, excitation mode, power in words), the photodetector and its gain.

        ``metadata`` is an ``mb.SourceMetadata`` (``mb.source_metadata(extractor_or_path)``). A device of a
        kind the rig lacks is added (named ``Objective``, ``Laser``, ``PMT``); the rig's only device of a
        kind gets the fields it lacks. Values given, before or after this call, win; one the header
        contradicts is a ``validate()`` warning naming both values and the header key.
        """
        return with_recorded(self, metadata)

    def _assemble(self, problems: list[str]) -> RigSpec:
        rig = super()._assemble(problems)
        rig, notes = fill_rig(rig, self.recorded, self.where)
        rig = attrs.evolve(rig, channels=tuple(_excitation_from_source(rig, c) for c in rig.channels))
        return remember(rig, notes)


def _excitation_from_source(rig: RigSpec, channel: ChannelSpec) -> ChannelSpec:
    """A channel without an excitation wavelength takes its light source's operating wavelength."""
    source = rig.path(channel).get("excitation_source")
    if channel.excitation_wavelength_nm is None and source is not None and source.wavelength_nm is not None:
        return attrs.evolve(channel, excitation_wavelength_nm=source.wavelength_nm)
    return channel


def channel_names(rig: Any) -> list[str]:
    """The names of a rig builder's channels, in the order given."""
    return [channel.name for channel in rig.draft.get("channels", ())]
