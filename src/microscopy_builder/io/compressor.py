"""Standard deflate, from the fastest implementation installed: the bytes every gzip reader opens.

HDF5's gzip filter (filter id 1) and numcodecs' ``Zlib`` / ``GZip`` codecs store deflate streams;
any encoder of the format writes chunks that every reader decodes with plain zlib. Encoders differ
only in speed and in how small they get the data. Measured on the benchmark movie
(``benchmarks/bench_deflate.py``; table in ``docs/how-to/large-movies.md``): ISA-L (``isal``, level
3) compresses about 6x as fast as zlib level 4, and smaller; libdeflate (``deflate``) and zlib-ng
(``zlib-ng``) about 1.5-2.5x, and their slow levels smaller still.

A gzip level 0-9 (what users know) is mapped by :data:`LEVEL_PLAN` onto the fastest measured
``(implementation, its own level)`` whose output is no larger than zlib's at that level, trying
each in order and falling back to zlib itself when none of them is installed. Level 0 is always
zlib's stored blocks (no compression). The environment
variable ``MICROSCOPY_BUILDER_DEFLATE`` forces one implementation (``isal``, ``libdeflate``,
``zlib-ng`` or ``zlib``; ``auto`` or unset: the plan), for measuring or to rule one out.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import attrs

from ..errors import ValidationError

ENVIRONMENT_VARIABLE = "MICROSCOPY_BUILDER_DEFLATE"

#: the stream wrapper: zlib (HDF5's gzip filter, numcodecs Zlib) or gzip (numcodecs GZip)
CONTAINERS = ("zlib", "gzip")
_WBITS = {"zlib": 15, "gzip": 16 + 15}

Compress = Callable[[Any, int, str], bytes]  # (bytes-like, its own level, container) -> stream


def _isal() -> Compress:
    from isal import isal_zlib

    return lambda data, level, container: isal_zlib.compress(data, level, _WBITS[container])


def _libdeflate() -> Compress:
    import deflate

    def compress(data: Any, level: int, container: str) -> bytes:
        encode = deflate.gzip_compress if container == "gzip" else deflate.zlib_compress
        return encode(data, level)

    return compress


def _zlib_ng() -> Compress:
    from zlib_ng import zlib_ng

    return lambda data, level, container: zlib_ng.compress(data, level, _WBITS[container])


def _zlib() -> Compress:
    return lambda data, level, container: zlib.compress(data, level, _WBITS[container])


#: every implementation: name -> (its loader, its own levels, the package that provides it)
IMPLEMENTATIONS: dict[str, tuple[Callable[[], Compress], range, str]] = {
    "isal": (_isal, range(0, 4), "isal"),
    "libdeflate": (_libdeflate, range(0, 13), "deflate"),
    "zlib-ng": (_zlib_ng, range(0, 10), "zlib-ng"),
    "zlib": (_zlib, range(0, 10), "Python's zlib"),
}

#: gzip level -> (implementation, its own level) to try in order; Python's zlib at the gzip level
#: comes last. The first of each is benchmarks/bench_deflate.py's pick on the benchmark movie:
#: levels 1-6 the fastest whose output is no larger than zlib's at that level (nor than the level
#: below's), 7-8 the fastest at least 1 % smaller than the level below's, 9 the smallest of all.
#: The others serve when it is not installed, each also no larger than zlib's. ISA-L has no level
#: beyond 3, so levels 7-9 need zlib-ng / libdeflate (the ``compression`` extra) or are zlib's own.
LEVEL_PLAN: dict[int, tuple[tuple[str, int], ...]] = {
    1: (("isal", 1), ("libdeflate", 1), ("zlib-ng", 2)),
    2: (("isal", 1), ("libdeflate", 2), ("zlib-ng", 2)),
    3: (("isal", 3), ("libdeflate", 3), ("zlib-ng", 3)),
    4: (("isal", 3), ("libdeflate", 4), ("zlib-ng", 4)),
    5: (("isal", 3), ("libdeflate", 5), ("zlib-ng", 5)),
    6: (("isal", 3), ("libdeflate", 6), ("zlib-ng", 6)),
    7: (("zlib-ng", 7), ("libdeflate", 10)),
    8: (("libdeflate", 10), ("zlib-ng", 8)),
    9: (("libdeflate", 12), ("zlib-ng", 8)),
}
#: the same for mostly-zero data (dense ROI masks): ISA-L's level 3 is both slower and about 2.5x larger
#: there than its level 2 (its long-match search pays off only on noisy data), so levels 3-6 use ISA-L 2
SPARSE_LEVEL_PLAN: dict[int, tuple[tuple[str, int], ...]] = {
    **LEVEL_PLAN,
    **{level: (("isal", 2), *LEVEL_PLAN[level][1:]) for level in (3, 4, 5, 6)},
}
#: what data a deflater is chosen for
CONTENTS = ("dense", "sparse")


@lru_cache(maxsize=None)
def implementation(name: str) -> Compress | None:
    """The compress function of implementation ``name``, or ``None`` when its package is not installed."""
    loader = IMPLEMENTATIONS[name][0]
    try:
        return loader()
    except ImportError:
        return None


def installed() -> tuple[str, ...]:
    """The implementations whose packages import here (zlib always)."""
    return tuple(name for name in IMPLEMENTATIONS if implementation(name) is not None)


@attrs.frozen
class Deflater:
    """Compresses whole chunks into standard deflate streams; thread-safe, releases the GIL.

    Attributes
    ----------
    gzip_level
        The level the user asked for, 0-9 as for gzip.
    implementation
        The implementation that compresses (``"isal"``, ``"libdeflate"``, ``"zlib-ng"``, ``"zlib"``).
    level
        Its own level that serves ``gzip_level``.
    container
        ``"zlib"`` (HDF5's gzip filter, numcodecs ``Zlib``) or ``"gzip"`` (numcodecs ``GZip``).
    """

    gzip_level: int
    implementation: str
    level: int
    container: str
    _compress: Compress = attrs.field(repr=False)

    def __call__(self, data: Any) -> bytes:
        """The stream of ``data`` (any contiguous bytes-like object)."""
        return self._compress(data, self.level, self.container)


def deflater(gzip_level: int, container: str = "zlib", content: str = "dense") -> Deflater:
    """The fastest installed compressor giving output no larger than zlib's at ``gzip_level`` (0-9).

    ``content`` ``"sparse"`` picks for mostly-zero data (:data:`SPARSE_LEVEL_PLAN`).

    Raises
    ------
    ValidationError
        ``MICROSCOPY_BUILDER_DEFLATE`` names an unknown or uninstalled implementation.
    """
    if container not in CONTAINERS:
        raise ValueError(f"container must be one of {CONTAINERS}, got {container!r}")
    problem = environment_problem()
    if problem:
        raise ValidationError([problem])
    forced = _forced()
    if gzip_level == 0:  # stored blocks, no compression: framing only, the encoder does not matter
        plan: tuple[tuple[str, int], ...] = ()
    elif forced:
        plan = ((forced, native_level(forced, gzip_level)),)
    else:
        plan = (SPARSE_LEVEL_PLAN if content == "sparse" else LEVEL_PLAN)[gzip_level]
    for name, level in (*plan, ("zlib", gzip_level)):
        compress = implementation(name)
        if compress is not None:
            return Deflater(gzip_level, name, level, container, compress)
    raise AssertionError("unreachable: zlib is always installed")


def native_level(name: str, gzip_level: int) -> int:
    """Implementation ``name``'s own level for ``gzip_level`` (1-9): the plan's when it names ``name``,
    else ISA-L's smallest (3) for ISA-L and the same number for the others."""
    for planned, level in LEVEL_PLAN[gzip_level]:
        if planned == name:
            return level
    return 3 if name == "isal" else gzip_level


def _forced() -> str | None:
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    return None if value in ("", "auto") else value


def environment_problem() -> str | None:
    """What is wrong with ``MICROSCOPY_BUILDER_DEFLATE``, or ``None``."""
    forced = _forced()
    if forced is None:
        return None
    if forced not in IMPLEMENTATIONS:
        return (f"environment variable {ENVIRONMENT_VARIABLE}={forced!r}: must be one of "
                f"{', '.join(('auto', *IMPLEMENTATIONS))}; unset it to let microscopy-builder choose")
    if implementation(forced) is None:
        return (f"environment variable {ENVIRONMENT_VARIABLE}={forced!r}: its package "
                f"{IMPLEMENTATIONS[forced][2]!r} is not installed; install it or unset the variable")
    return None
