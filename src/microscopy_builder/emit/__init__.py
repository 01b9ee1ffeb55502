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


def load_extension_classes() -> None:
    """Import ndx-microscopy (and ndx-ophys-devices) so pynwb reads their objects into the real classes.

    A file read before the extension is imported gets classes generated from its cached schema;
    objects made by the real classes cannot then be added to it (``incorrect type for 'microscope'
    (got 'Microscope', expected 'Microscope')``). Call this before reading a file to append to.
    """
    from . import microscopy  # noqa: F401 - importing registers the classes
