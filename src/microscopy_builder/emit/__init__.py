"""Emitters: specs to NWB objects, one per output format."""

FORMATS = ("ndx-microscopy", "legacy")


def emitter_class(format: str) -> type:
    """The emitter for ``format``; imports only the NWB modules that format needs."""
    if format == "ndx-microscopy":
        from .microscopy import MicroscopyEmitter

        return MicroscopyEmitter
    if format == "legacy":
        from .legacy import LegacyEmitter

        return LegacyEmitter
    raise ValueError(f"unknown format {format!r}")
