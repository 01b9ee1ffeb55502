"""ROI ids: duplicates the id check does not see (string ids, ids equal once written), and huge ids."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from roiextractors import NumpySegmentationExtractor

import microscopy_builder as mb
from common import imaging, read, rig, session, space


@pytest.mark.parametrize("ids", [["a", "a"], [1, "1"], [1.0, 1.0], ["roi", "roi "], [np.int64(3), 3.0],
                                 [2**63, 1], [-(2**63) - 1, 1], [True, 1]], ids=repr)
def test_roi_ids_that_name_one_roi_twice_are_refused(tmp_path, ids):
    masks = (np.random.default_rng(0).random((9, 13, 2)) > 0.5).astype("float32")
    raw = np.random.default_rng(1).random((20, 2)).astype("float32")
    seg = NumpySegmentationExtractor(image_masks=masks, raw=raw, roi_ids=list(ids), sampling_frequency=20.0,
                                     movie_dims=(9, 13))
    ser = mb.SeriesBuilder("TwoPhotonSeries").from_extractor(imaging()[0]).rig(rig()).space(space())
    s = session("legacy")
    try:
        s.add(ser).add(mb.SegmentationBuilder("PlaneSegmentation").from_extractor(seg).series(ser))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = s.write(tmp_path / "x.nwb")
    except mb.ValidationError:
        return
    with read(path) as nwbfile:
        table = nwbfile.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        ids_written = list(table.id[:])
        names = list(table["roi_name"].data[:]) if "roi_name" in table.colnames else None
    keys = names if names is not None else ids_written
    assert len(set(keys)) == len(keys), f"ids {ids!r} written as ids {ids_written} names {names}: one ROI named twice"
