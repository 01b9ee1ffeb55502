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


def _inspect(args: argparse.Namespace) -> int:
    from .summary import open_nwb, summarize

    path = _existing(args.file)
    with open_nwb(path) as nwbfile:
        print("\n".join(summarize(nwbfile)))
    return 0


def _validate(args: argparse.Namespace) -> int:
    """pynwb's validator, then nwbinspector's summary; non-zero exit on validator errors or CRITICAL."""
    import pynwb

    path = _existing(args.file)
    failed = False
    if path.is_dir():
        print("pynwb validator: skipped (it reads HDF5 files only)")
    else:
        errors = list(pynwb.validate(path=str(path)))
        failed = bool(errors)
        print(f"pynwb validator: {len(errors)} error(s)")
        for error in errors:
            print(f"  {error}")
    try:
        from nwbinspector import Importance, inspect_nwbfile_object
    except ImportError:
        print("nwbinspector: not installed (pip install nwbinspector)")
        return 1 if failed else 0
    from .summary import open_nwb

    with open_nwb(path) as nwbfile:
        messages = list(inspect_nwbfile_object(nwbfile))
    counts = {importance.name: 0 for importance in Importance}
    for message in messages:
        counts[message.importance.name] += 1
    found = ", ".join(f"{count} {name}" for name, count in counts.items() if count)
    print(f"nwbinspector: {found or 'no messages'}")
    for message in messages:
        if message.importance in (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION, Importance.ERROR):
            print(f"  {message.importance.name} {message.object_type} {message.object_name!r}: {message.message}")
    failed = failed or counts.get("CRITICAL", 0) > 0 or counts.get("ERROR", 0) > 0
    return 1 if failed else 0


def _plot(args: argparse.Namespace) -> int:
    from .pictures import panels_from_file, render
    from .summary import open_nwb

    path = _existing(args.file)
    with open_nwb(path) as nwbfile:
        written = render(panels_from_file(nwbfile), args.output)
    print(f"wrote {written}")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from .session_file import load_session_file

    source = _existing(args.session_file)
    session = load_session_file(source, format=args.format, trust_data=args.trust_data,
                                allow_outside_includes=args.allow_outside_includes)
    suffix = ".nwb.zarr" if args.backend == "zarr" else ".nwb"
    output = Path(args.output) if args.output else source.with_name(source.stem + suffix)
    written = session.write(output, backend=args.backend, overwrite=args.overwrite, progress=not args.quiet)
    print(f"wrote {written}")
    return 0


def _describe(args: argparse.Namespace) -> int:
    """Write (or print) a session file pre-filled from what SOURCE's files record."""
    from .acquisition.describe import describe

    source = _existing(args.source)
    output = Path(args.output) if args.output else None
    if output is not None and output.exists() and not args.overwrite:
        raise BuilderError(f"{output}: already exists; pass --overwrite to replace it")
    if output is not None and output.exists() and (output.is_dir() or output.suffix.lower() not in (".yaml", ".yml")):
        raise BuilderError(f"{output}: not a YAML file; refusing to replace it even with --overwrite")
    text = describe(source, extractor=args.extractor, output=output)
    if output is None:
        print(text, end="")
        return 0
    output.write_text(text)
    unknown = sum(line.split("#")[0].rstrip().endswith(": UNKNOWN") for line in text.splitlines())
    print(f"wrote {output} ({unknown} UNKNOWN value(s) to fill in)")
    return 0


def _existing(file: str) -> Path:
    path = Path(file)
    if not path.exists():
        raise BuilderError(f"{file}: no such file or folder")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microscopy-builder", description="Describe microscopes and imaging sessions; write NWB files."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run, help: str, description: str, takes_file: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=description)
        if takes_file:
            sub.add_argument("file", help="an .nwb file or .nwb.zarr folder")
        sub.set_defaults(run=run)
        return sub

    demo = command("demo", _demo, "write a fully described example session (synthetic data) in both formats",
                   "Write a fully described two-photon session from synthetic data, in the ndx-microscopy "
                   "and the legacy format, into OUTDIR, and print what was written.")
    demo.add_argument("outdir", help="folder to write into (created if missing)")
    convert = command("convert", _convert, "write the NWB file a session file (YAML) describes",
                      "Read a session file (YAML: session metadata, rigs, spaces, series and segmentations with "
                      "their roiextractors extractors) and write the NWB file it describes, with a progress bar.")
    convert.add_argument("session_file", help="the session's YAML file")
    convert.add_argument("-o", "--output", help="the NWB file to write (default: beside the session file, .nwb)")
    convert.add_argument("--format", choices=("ndx-microscopy", "legacy"), help="override the file's session.format")
    convert.add_argument("--backend", choices=("hdf5", "zarr"), help="hdf5 (default) or zarr; a .zarr output selects zarr")
    convert.add_argument("--overwrite", action="store_true", help="replace an existing output")
    convert.add_argument("--quiet", action="store_true", help="no progress bar")
    convert.add_argument("--trust-data", action="store_true",
                         help="let extractors unpickle their data unchecked (Suite2p's ops.npy and stat.npy, Sima); "
                              "by default pickled files are checked first and extractors whose pickles cannot be "
                              "checked are refused. Only for data you trust: unpickling can run any code")
    convert.add_argument("--allow-outside-includes", action="store_true",
                         help="let include: name files outside the session file's folder")
    command("inspect", _inspect, "print what an NWB file holds for optical physiology",
            "Print a readable tree of an NWB file (HDF5 or Zarr, any writer): devices, rigs, channels, "
            "indicators, imaging spaces, series with shape, dtype, rate and duration, segmentations and traces.",
            takes_file=True)
    command("validate", _validate, "check an NWB file with pynwb's validator and nwbinspector",
            "Run pynwb's validator and nwbinspector on an NWB file; exit 1 on validator errors or "
            "CRITICAL/ERROR messages.", takes_file=True)
    plot = command("plot", _plot, "draw each series' mean frame and each segmentation's ROIs into a PNG",
                   "Draw the mean frame of every imaging series and the ROI outlines of every segmentation "
                   "(accepted green, rejected red) over its summary image, into a PNG. Needs matplotlib "
                   "(pip install 'microscopy-builder[plot]').", takes_file=True)
    plot.add_argument("-o", "--output", required=True, help="the PNG to write")
    describe = command("describe", _describe, "write a session file pre-filled from what acquisition files record",
                       "Read the headers of SOURCE (a ScanImage or other TIFF, a ThorImageLS or Bruker PrairieView "
                       "folder, a Miniscope folder, Suite2p output, CaImAn results) and write a session file (YAML) "
                       "for `convert`: every value read carries a comment naming its header key, and UNKNOWN marks "
                       "what a person must fill in.")
    describe.add_argument("source", help="the acquisition file or folder")
    describe.add_argument("--extractor", help="the roiextractors extractor class that reads SOURCE (default: guessed)")
    describe.add_argument("-o", "--output", help="the session file to write (default: print it)")
    describe.add_argument("--overwrite", action="store_true", help="replace an existing output")
    return parser


def _one_line(error: Exception) -> str:
    """An error in one line: a ``ValidationError``'s first problem and how many more there are."""
    problems = getattr(error, "problems", ())
    if len(problems) > 1:
        return f"{problems[0].splitlines()[0]} (and {len(problems) - 1} more problem(s))"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (BuilderError, OSError) as error:
        print(f"microscopy-builder: error: {_one_line(error)}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - a reader's failure on a user's file: one line, no traceback
        print(f"microscopy-builder: error: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
