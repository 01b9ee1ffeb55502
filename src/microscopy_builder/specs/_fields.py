"""Former name of :mod:`microscopy_builder.specs.fields`, kept while ``session.py`` still imports it."""

from .fields import nul_problems  # noqa: F401
