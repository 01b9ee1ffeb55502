"""The attack tests import their shared helpers as ``common``, and so do the child processes they start."""

import os
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
sys.path.insert(0, HERE)
os.environ["MB_ATTACKS_DIR"] = HERE  # children started by the tests find ``common`` through it
