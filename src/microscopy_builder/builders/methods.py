"""The builders' method sets, as type checkers and editors see them.

Each builder's methods are made from its declared calls when the class is created (see
:mod:`.calls`), so no source file spells them out; ``methods.pyi`` beside this module does, for
static tools: it declares each method with its typed keyword parameters, and is generated from the
same declarations by ``python -m microscopy_builder.builders.reference`` (a test checks that it is
up to date). At run time these classes are empty bases.
"""


def _methods(builder: str) -> type:
    return type(f"{builder}Methods", (), {"__slots__": (), "__doc__": f"The methods of {builder}Builder.",
                                           "__module__": __name__})


RigMethods = _methods("Rig")
ImagingSpaceMethods = _methods("ImagingSpace")
SeriesMethods = _methods("Series")
SegmentationMethods = _methods("Segmentation")
StaticImageMethods = _methods("StaticImage")
