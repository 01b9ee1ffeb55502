"""The emitters' own words and names, gathered in one place for reading files back.

Rebuilding builders from a file runs the emitters' mapping backwards: a description the emitter
derived from facts is recognised by deriving it again from the facts read and comparing. Every
name and text rule this needs comes from the emitters through this module only, so a change to
them shows up (and is fixed) here.
"""

from __future__ import annotations

from ..emit.base import Emitter
from ..emit.grouping import plan_layout
from ..emit.fields import NDX_ATTRIBUTE, describe_value, join_description, number_text
from ..emit.legacy import READER_IMAGES_NAME, READER_TABLE_NAME
from ..emit.formats import MICROSCOPY_METADATA as METADATA_NAME
from ..emit.microscopy import MEAN_IMAGES, SEGMENTATIONS_NAME, static_image_name
from ..emit.placeholders import PLACEHOLDER_TEXT
from ..emit.rois import image_description
from ..emit.traces import TRACES
from ..emit.text import channel_text, indicator_facts, light_path_facts, space_text

__all__ = [
    "MEAN_IMAGES",
    "METADATA_NAME",
    "NDX_ATTRIBUTE",
    "PLACEHOLDER_TEXT",
    "READER_IMAGES_NAME",
    "READER_TABLE_NAME",
    "SEGMENTATIONS_NAME",
    "TRACES",
    "channel_text",
    "describe_value",
    "image_description",
    "indicator_facts",
    "join_description",
    "light_path_facts",
    "number_text",
    "plan_layout",
    "rig_description",
    "series_description",
    "space_text",
    "static_image_name",
]

#: pynwb's own defaults: a field holding one of them was not given
PYNWB_DEFAULT_DESCRIPTION = "no description"
PYNWB_DEFAULT_COMMENTS = "no comments"
PYNWB_DEFAULT_RESOLUTION = -1.0

rig_description = Emitter.rig_description
series_description = Emitter.series_description


def legacy_trace_name(kind: str, table: str) -> str:
    """The legacy emitter's name for a trace kind of table ``table``."""
    name = TRACES[kind].legacy_name
    return name if table == READER_TABLE_NAME else f"{name}_{table}"


def legacy_images_name(table: str) -> str:
    """The legacy emitter's ``Images`` container of table ``table``'s summary images."""
    return READER_IMAGES_NAME if table == READER_TABLE_NAME else f"{READER_IMAGES_NAME}_{table}"


def default_table_description(space: str) -> str:
    """A ROI table's description when the segmentation gave none."""
    return f"ROIs found by segmenting imaging space {space}"


def default_static_image_description(channel: str, rig: str) -> str:
    """A static image's description when none was given."""
    return f"Static image on channel {channel} of rig {rig}."


def carrier_image_marker(segmentation: str) -> str:
    """The words that mark the ndx static image carrying a movie-less segmentation's channel."""
    return f"Of segmentation {segmentation}, whose movie is not in the file"
