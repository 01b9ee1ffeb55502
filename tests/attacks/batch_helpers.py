"""Module-level session builders for test_batch_attacks.py (spawned workers import them)."""

from __future__ import annotations

import os
import signal

import numpy as np
from roiextractors import NumpyImagingExtractor

import microscopy_builder as mb
from common import rig, session, space


class DiesMidFill(NumpyImagingExtractor):
    def get_series(self, start_sample=None, end_sample=None):
        if start_sample:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().get_series(start_sample, end_sample)


def make(seed: int, die: bool = False):
    data = np.random.default_rng(seed).integers(0, 2**16, (300, 16, 16, 1), dtype="uint16")
    source = (DiesMidFill if die else NumpyImagingExtractor)(data, sampling_frequency=10.0)
    return session().add(mb.SeriesBuilder(f"S{seed}").from_extractor(source).rig(rig()).space(space()))
