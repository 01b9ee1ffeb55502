"""The ``microscopy-builder`` command."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import BuilderError


def _demo(args: argparse.Namespace) -> int:
    from pynwb import read_nwb

    from .demo import write_demo
    from .emit import OPHYS_MODULE

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
            ophys = nwbfile.processing.get(OPHYS_MODULE)
            for name, interface in ({} if ophys is None else ophys.data_interfaces).items():
                print(f"    processing/{OPHYS_MODULE}/{name}: {type(interface).__name__}")
        finally:
            nwbfile.read_io.close()
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from .summary import summarize

    with _open(_existing(args.file)) as nwbfile:
        print("\n".join(summarize(nwbfile)))
    return 0


def _validate(args: argparse.Namespace) -> int:
    """nwbinspector (its ``dandi`` configuration with --dandi), pynwb's validator, and with --dandi
    DANDI's own requirements; exit 1 on any error, and when nothing could inspect the file."""
    import pynwb

    try:
        from nwbinspector import Importance, inspect_nwbfile_object, load_config
    except ImportError:
        raise BuilderError("validate needs nwbinspector: pip install nwbinspector") from None
    from .dandi import dandi_problems, layout_problem

    path = _existing(args.file)
    with _open(path) as nwbfile:
        messages = list(inspect_nwbfile_object(nwbfile, config=load_config("dandi") if args.dandi else None))
        dandi = dandi_problems(nwbfile) if args.dandi else []
        misplaced = layout_problem(path, nwbfile) if args.dandi and not path.is_dir() else None
    failed = False
    if path.is_dir():
        print("pynwb validator: skipped (it reads HDF5 files only)")
    else:
        errors = list(pynwb.validate(path=str(path)))
        failed = bool(errors)
        print(f"pynwb validator: {len(errors)} error(s)")
        for error in errors:
            print(f"  {error}")
    counts = {importance.name: 0 for importance in Importance}
    for message in messages:
        counts[message.importance.name] += 1
    found = ", ".join(f"{count} {name}" for name, count in counts.items() if count)
    print(f"nwbinspector: {found or 'no messages'}")
    for message in messages:
        if message.importance in (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION, Importance.ERROR):
            print(f"  {message.importance.name} {message.object_type} {message.object_name!r}: {message.message}")
    failed = failed or counts.get("CRITICAL", 0) > 0 or counts.get("ERROR", 0) > 0
    if args.dandi:
        print(f"DANDI requirements: {len(dandi)} error(s)")
        print("".join(f"  {problem}\n" for problem in dandi), end="")
        if misplaced:
            print(f"  note: {misplaced} (convert --dandi FOLDER or dandi organize puts it there)")
    return 1 if failed or dandi else 0


def _plot(args: argparse.Namespace) -> int:
    from .picture_sources import picture_from_file
    from .pictures import render

    with _open(_existing(args.file)) as nwbfile:
        written = render(picture_from_file(nwbfile), args.output)
    print(f"wrote {written}")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from .session_file import load_session_file
    from .unknown_places import unknown_places

    source = _existing(args.session_file)
    if args.dandi and args.output:
        raise BuilderError("give either -o/--output FILE or --dandi FOLDER, not both")
    unknown = unknown_places(source)
    try:
        session = load_session_file(source, format=args.format, trust_data=args.trust_data,
                                    allow_outside_includes=args.allow_outside_includes)
    except BuilderError as error:
        if not unknown:
            raise
        raise BuilderError(f"{error}\n{source}: {len(unknown)} UNKNOWN value(s) remain; fill in at least those the "
                           "errors name (UNKNOWN stays only where a field takes an explicit unknown):\n  "
                           + "\n  ".join(unknown)) from None
    if args.dandi:
        return _convert_for_dandi(session, args)
    suffix = ".nwb.zarr" if args.backend == "zarr" else ".nwb"
    output = Path(args.output) if args.output else source.with_name(source.stem + suffix)
    written = session.write(output, backend=args.backend, overwrite=args.overwrite, progress=not args.quiet)
    print(f"wrote {written}")
    if unknown:
        print(f"  {len(unknown)} UNKNOWN value(s) written as reported placeholders: {', '.join(unknown)}")
    return 0


def _translate(args: argparse.Namespace) -> int:
    """Write IN again in the chosen layout; what that layout cannot hold is printed as warnings."""
    import warnings

    from .emit.placeholders import PlaceholderWarning
    from .errors import CompatibilityWarning
    from .reading import translate

    source = _existing(args.source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = translate(source, args.output, format=args.format, backend=args.backend, overwrite=args.overwrite,
                            progress=not args.quiet)
    shown = dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, (CompatibilityWarning, PlaceholderWarning)))
    for message in shown:
        print(f"microscopy-builder: warning: {message}", file=sys.stderr)
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


def _convert_for_dandi(session: Any, args: argparse.Namespace) -> int:
    from .dandi import dandi_destination

    if args.backend == "zarr":
        raise BuilderError("--dandi writes HDF5 (.nwb), the files DANDI's layout names; leave out --backend zarr")
    written = session.write_dandi(args.dandi, overwrite=args.overwrite, progress=not args.quiet)
    _, name = dandi_destination(args.dandi, session.nwbfile)
    print(f"wrote {written}")
    if name.session_id_derived:
        print(f"  session id {name.session_id} is derived from the start time, as dandi organize does; "
              f"give session.session_id in the session file to choose it")
    return 0


@contextmanager
def _open(path: Path) -> Iterator[Any]:
    """The NWB file at ``path``, read; a file that is not one is a one-line error, not h5py's."""
    import h5py

    from .summary import open_nwb

    reader = open_nwb(path)
    try:
        nwbfile = reader.__enter__()
    except Exception as error:  # noqa: BLE001 - whatever the readers say, it is not a file we can read
        is_store = path.is_dir() and any((path / name).exists() for name in (".zgroup", "zarr.json"))
        if not (is_store or (path.is_file() and h5py.is_hdf5(path))):
            raise BuilderError(f"{path}: not an NWB file (HDF5 or Zarr)") from error
        reason = str(error).splitlines()[0] if str(error) else ""
        raise BuilderError(f"{path}: cannot be read as an NWB file ({type(error).__name__}: {reason})") from error
    try:
        yield nwbfile
    finally:
        reader.__exit__(None, None, None)


def _existing(file: str) -> Path:
    path = Path(file)
    if not path.exists():
        raise BuilderError(f"{file}: no such file or folder")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microscopy-builder", description="Describe microscopes and imaging sessions; write NWB files."
    )
    debug_help = "on an error, show the full traceback"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run, help: str, description: str, takes_file: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=description)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
        if takes_file:
            sub.add_argument("file", help="an .nwb file or .nwb.zarr folder")
        sub.set_defaults(run=run)
        return sub

    _add_writing_commands(command)
    _add_reading_commands(command)
    return parser


def _output_options(sub: argparse.ArgumentParser) -> None:
    """The options of every command that writes an NWB file."""
    sub.add_argument("--backend", choices=("hdf5", "zarr"), help="hdf5 (default) or zarr; a .zarr output selects zarr")
    sub.add_argument("--overwrite", action="store_true", help="replace an existing output")
    sub.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_writing_commands(command) -> None:
    demo = command("demo", _demo, "write a fully described example session (synthetic data) in both formats",
                   "Write a fully described two-photon session from synthetic data, in the ndx-microscopy "
                   "and the legacy format, into OUTDIR, and print what was written.")
    demo.add_argument("outdir", help="folder to write into (created if missing)")
    convert = command("convert", _convert, "write the NWB file a session file (YAML) describes",
                      "Read a session file (YAML: session metadata, rigs, spaces, series and segmentations with "
                      "their roiextractors extractors) and write the NWB file it describes, with a progress bar.")
    convert.add_argument("session_file", help="the session's YAML file")
    convert.add_argument("-o", "--output", help="the NWB file to write (default: beside the session file, .nwb)")
    convert.add_argument("--dandi", metavar="FOLDER", help="write into the dandiset FOLDER as "
                         "sub-<subject_id>/sub-<subject_id>_ses-<session_id>_ophys.nwb, refusing what DANDI would reject")
    convert.add_argument("--format", choices=("ndx-microscopy", "legacy"), help="override the file's session.format")
    _output_options(convert)
    convert.add_argument("--trust-data", action="store_true",
                         help="let extractors unpickle their data unchecked (Suite2p's ops.npy and stat.npy, Sima); "
                              "by default pickled files are checked first and extractors whose pickles cannot be "
                              "checked are refused. Only for data you trust: unpickling can run any code")
    convert.add_argument("--allow-outside-includes", action="store_true",
                         help="let include: name files outside the session file's folder")
    translate = command("translate", _translate, "write an NWB file again in the other layout (or the same)",
                        "Read IN (HDF5 or Zarr, legacy or ndx-microscopy; this library's, NeuroConv's or pynwb's) "
                        "and write its optical physiology to OUT in the chosen layout, streaming the data with a "
                        "progress bar. IN is never changed; what the chosen layout cannot hold is printed as a "
                        "warning naming the object and field.")
    translate.add_argument("source", metavar="IN", help="the NWB file (.nwb) or Zarr store (.nwb.zarr) to read")
    translate.add_argument("-o", "--output", metavar="OUT", required=True, help="the NWB file to write")
    translate.add_argument("--format", required=True, choices=("ndx-microscopy", "legacy"),
                           help="ndx-microscopy (upgrade a legacy file) or legacy (core NWB only)")
    _output_options(translate)


def _add_reading_commands(command) -> None:
    command("inspect", _inspect, "print what an NWB file holds for optical physiology",
            "Print a readable tree of an NWB file (HDF5 or Zarr, any writer): devices, rigs, channels, "
            "indicators, imaging spaces, series with shape, dtype, rate and duration, segmentations and traces.",
            takes_file=True)
    validate = command("validate", _validate, "check an NWB file with pynwb's validator and nwbinspector",
                       "Run pynwb's validator and nwbinspector on an NWB file; exit 1 on validator errors or "
                       "CRITICAL/ERROR messages.", takes_file=True)
    validate.add_argument("--dandi", action="store_true", help="check what DANDI requires too, as dandi validate "
                          "does (nwbinspector's dandi configuration, the subject, ids fit for DANDI's paths)")
    plot = command("plot", _plot, "draw each series' mean image with its ROIs, and a few traces, into a PNG",
                   "Draw the mean image of every imaging series (a panel per plane or channel) with the ROI "
                   "outlines of its segmentations (accepted green, rejected red) and a scale bar, and a few ROIs' "
                   "dF/F or raw traces, into a PNG. Needs matplotlib (pip install 'microscopy-builder[plot]').",
                   takes_file=True)
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


#: the library's advice in Python words, and what it is on this command line
_CLI_WORDS = {"overwrite=True": "--overwrite"}
#: exit status of a command whose reader went away (128 + SIGPIPE, as the shell reports it)
BROKEN_PIPE = 141


def main(argv: list[str] | None = None) -> int:
    """Run the command; an error is printed with every problem it lists (``--debug``: and its traceback)."""
    args = build_parser().parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return status
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing left to say, and nothing to complain at exit
        return BROKEN_PIPE
    except Exception as error:  # noqa: BLE001 - every failure is one message; --debug shows where it came from
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"microscopy-builder: error: {_error_text(error)}", file=sys.stderr)
        return 1


def _error_text(error: Exception) -> str:
    """The whole message (every problem of a ValidationError), in command-line words."""
    text = str(error) if isinstance(error, (BuilderError, OSError)) else f"{type(error).__name__}: {error}"
    for python, flag in _CLI_WORDS.items():
        text = text.replace(python, flag)
    if not isinstance(error, (BuilderError, OSError)):
        text += "\n(run with --debug to see the traceback)"
    return text.rstrip()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
