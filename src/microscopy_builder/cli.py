"""The ``microscopy-builder`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import BuilderError


def _demo(args: argparse.Namespace) -> int:
    from pynwb import read_nwb

    from .demo import write_demo

    for path in write_demo(Path(args.outdir)):
        nwbfile = read_nwb(str(path))
        try:
            series = next(iter(nwbfile.acquisition.values()))
            size = path.stat().st_size / 1e6
            print(
                f"wrote {path} ({size:.1f} MB): {type(series).__name__} {series.name!r} "
                f"{tuple(series.data.shape)} {series.data.dtype} at {series.rate:g} Hz, "
                f"{len(nwbfile.devices)} devices"
            )
            ophys = nwbfile.processing.get("ophys")
            for name, interface in ({} if ophys is None else ophys.data_interfaces).items():
                print(f"    processing/ophys/{name}: {type(interface).__name__}")
        finally:
            nwbfile.read_io.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microscopy-builder", description="Describe microscopes and imaging sessions; write NWB files."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="write a fully described example session (synthetic data) in both formats",
        description="Write a fully described two-photon session from synthetic data, in the ndx-microscopy "
        "and the legacy format, into OUTDIR, and print what was written.",
    )
    demo.add_argument("outdir", help="folder to write into (created if missing)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (BuilderError, OSError) as error:
        print(f"microscopy-builder: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
