"""Emitters: specs to NWB objects, one per output format (see :mod:`.formats`)."""

from .formats import FORMATS, LEGACY, MICROSCOPY, Format, format_of, format_problems

#: the processing module optical physiology goes in
OPHYS_MODULE = "ophys"

__all__ = ["FORMATS", "LEGACY", "MICROSCOPY", "OPHYS_MODULE", "Format", "format_of", "format_problems",
           "load_extension_classes"]


def load_extension_classes() -> None:
    """Import ndx-microscopy (and ndx-ophys-devices) so pynwb reads their objects into the real classes.

    A file read before the extension is imported gets classes generated from its cached schema;
    objects made by the real classes cannot then be added to it (``incorrect type for 'microscope'
    (got 'Microscope', expected 'Microscope')``). Call this before reading a file to append to.
    """
    from . import microscopy  # noqa: F401 - importing registers the classes
