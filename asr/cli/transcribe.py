"""Transcribe audio files, folders of them, or standard input, with a trained model.

  asr transcribe --model exp/mini/model.pt a.wav b.flac c.mp3 d.opus e.m4a
  asr transcribe --model exp/mini/model.pt talks/ --recursive --format srt --output-dir subtitles/
  ffmpeg -v error -i talk.mov -f wav - | asr transcribe --model exp/mini/model.pt - --format vtt > talk.vtt
  asr transcribe --model exp/joint/model.pt --decode beam --beam 10 --lm exp/lm/lm.pt a.wav
  asr transcribe --model exp/mini/model.pt --decode beam --nbest 5 --format json a.wav
  asr transcribe --model exp/stream/model.pt --stream mic
  arecord -f S16_LE -r 16000 | asr transcribe --model exp/stream/model.pt --stream -

Without --format, prints "path<TAB>transcript" per file; --format txt|json|srt|vtt prints that
format (JSON: one line per file with segments and word times), or with --output-dir writes one
file per input, DIR/NAME.FORMAT (a folder's files keep their place under it), each replaced
atomically. Any sample rate and channel count is accepted. Recordings longer than --max-chunk
seconds are cut at pauses (Silero VAD) and decoded piece by piece, in memory that does not grow with
their length; shorter files are decoded whole, in batches. Words are timed by CTC alignment (CTC and
joint models; LAS models give segment times only). A file that cannot be read gets one line on
stderr, the others are still transcribed, and the exit status is 1.

With --stream (models trained to stream: recipes/mini/run.sh --model stream or uni) one input is read as
it arrives: a file (--realtime paces it at the speed of speech), - for standard input (WAV, or raw 16-bit
PCM with --raw-rate), or mic for the microphone; one JSON line is printed per partial result (the
segment so far, and its "stable" words, which later audio cannot change) and per final one (a segment
with its word times, once a pause follows it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

from asr.cli.common import add_decode_arguments, check_decode_arguments
from asr.data.audio import AUDIO_EXTENSIONS
from asr.errors import UserError
from asr.transcription.subtitles import FORMATS
from asr.utils.atomic_file import replaced_whole

STDIN = "-"
MICROPHONE = "mic"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model file written by asr train (model.pt)")
    parser.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR",
                        help=f"audio files (wav, flac, mp3, ogg, opus; m4a, webm, ... need ffmpeg), folders of "
                             f"{'/'.join(AUDIO_EXTENSIONS)} files, or - for standard input")
    parser.add_argument("--format", choices=FORMATS, help="output format (default: path<TAB>text lines; "
                                                          "txt with --output-dir)")
    parser.add_argument("--json", action="store_true", help="the same as --format json")
    parser.add_argument("--output-dir", metavar="DIR", help="write DIR/NAME.FORMAT per input instead of printing")
    parser.add_argument("--recursive", action="store_true", help="take audio files from folders' subfolders too")
    parser.add_argument("--token-timestamps", action="store_true",
                        help="JSON: add each token's times (characters, for character models)")
    parser.add_argument("--nbest", type=int, metavar="N",
                        help="with --decode beam: each segment's N best readings and their scores, best first, "
                             "in --format json (\"alternatives\"; at most the beam)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu)")
    live = parser.add_argument_group("streaming (models trained to stream)")
    live.add_argument("--stream", action="store_true",
                      help="transcribe one input as it arrives (a file, -, or mic), printing JSON lines of partial "
                           "and final results")
    live.add_argument("--realtime", action="store_true", help="with --stream and a file: read it no faster than "
                                                              "it would be spoken (to try latency)")
    live.add_argument("--raw-rate", type=int, metavar="HZ",
                      help="with --stream -: standard input is headerless 16-bit little-endian PCM at this rate")
    live.add_argument("--pause", type=float, default=0.3, metavar="SECONDS",
                      help="with --stream: silence after which a segment is final (default: 0.3)")
    live.add_argument("--carry-state", action="store_true",
                      help="with --stream: keep the encoder's state and the feature mean through pauses (decodes "
                           "exactly as the whole recording would; by default each segment after a pause starts "
                           "afresh, as the utterances of training did)")
    add_decode_arguments(parser)


def run(args: argparse.Namespace) -> int:
    fmt = "json" if args.json else args.format or ("txt" if args.output_dir else None)
    check_decode_arguments(args)
    if args.inputs.count(STDIN) > 1:
        raise UserError("standard input (-) can be read only once")
    if args.stream:
        return _stream(args, fmt)
    if args.realtime or args.raw_rate or args.carry_state:
        raise UserError("--realtime, --raw-rate and --carry-state go with --stream")
    from asr.cli.common import decoder_from_args  # torch and the model load only past argument checks
    from asr.transcription.recognizer import load_model

    recognizer = load_model(args.model, args.device)
    decoder = decoder_from_args(recognizer, args)
    failed = 0
    outputs: dict[Path, str] = {}
    with _stdin_file() if STDIN in args.inputs else contextlib.nullcontext() as stdin_path:
        files, failed = _expand(args.inputs, args.recursive, stdin_path)
        results = recognizer.transcribe_each([path for path, _ in files], decoder, max_chunk=args.max_chunk,
                                             progress=None)
        for (path, shown), (_, outcome) in zip(files, results):
            if isinstance(outcome, UserError):
                print(f"asr: error: {str(outcome).replace(str(path), shown)}", file=sys.stderr, flush=True)
                failed += 1
            elif not _emit(shown, outcome, fmt, args, outputs):
                failed += 1
    if args.output_dir:
        done = len(outputs)
        print(f"transcribed {done} of {done + failed} inputs into {args.output_dir} as {fmt}"
              + (f" ({failed} failed)" if failed else ""))
    return 1 if failed else 0


def _stream(args: argparse.Namespace, fmt: str | None) -> int:
    """--stream: one input read as it arrives, one JSON line per event."""
    if len(args.inputs) != 1 or args.output_dir or fmt not in (None, "json") or args.nbest:
        raise UserError("--stream reads one input (a file, - or mic) and prints JSON lines: no --output-dir, "
                        "--format other than json, or --nbest")
    if not args.pause > 0:
        raise UserError(f"--pause must be above 0 seconds, not {args.pause}")
    given = args.inputs[0]
    if args.raw_rate and given != STDIN:
        raise UserError("--raw-rate describes standard input (-)")
    if args.realtime and given in (STDIN, MICROPHONE):
        raise UserError("--realtime paces a file; standard input and the microphone come at their own pace")
    from asr.cli.common import decode_options_from_args
    from asr.transcription import live_audio
    from asr.transcription.recognizer import load_model

    recognizer = load_model(args.model, args.device)
    if given == MICROPHONE:
        rate, blocks = live_audio.microphone_blocks(recognizer.sample_rate)
    elif given == STDIN and args.raw_rate:
        rate, blocks = live_audio.raw_blocks(sys.stdin.buffer, args.raw_rate)
    elif given == STDIN:
        rate, blocks = live_audio.wav_blocks(sys.stdin.buffer)
    else:
        rate, blocks = live_audio.file_blocks(given, args.realtime)
    events = recognizer.stream(blocks, sample_rate=rate, pause=args.pause, fresh=not args.carry_state,
                               **decode_options_from_args(args))
    try:
        for event in events:
            print(json.dumps(event.to_dict()), flush=True)
    except KeyboardInterrupt:  # the microphone's end
        pass
    return 0


def _emit(shown: str, result, fmt: str | None, args: argparse.Namespace, outputs: dict[Path, str]) -> bool:
    """Print the result, or write it to its output file; False (and one line) when that cannot be done."""
    from asr.transcription.subtitles import render

    if fmt is None:
        print(f"{shown}\t{result.text}", flush=True)
        return True
    text = render(result, fmt, shown, args.token_timestamps)
    if not args.output_dir:
        sys.stdout.write(text)
        sys.stdout.flush()
        return True
    out = Path(args.output_dir) / f"{_output_name(shown, args.inputs)}.{fmt}"
    if out in outputs:
        print(f"asr: error: {shown}: its output {out} would replace that of {outputs[out]}", file=sys.stderr)
        return False
    try:
        with replaced_whole(out) as f:
            f.write(text)
    except OSError as err:
        print(f"asr: error: {out}: cannot write ({err.strerror or err})", file=sys.stderr)
        return False
    outputs[out] = shown
    return True


def _expand(inputs: list[str], recursive: bool, stdin_path: Path | None) -> tuple[list[tuple[Path, str]], int]:
    """(path to read, name to show) per audio input, folders expanded in sorted order; and how many
    inputs were folders without audio (one line each)."""
    files, failed = [], 0
    for given in inputs:
        if given == STDIN:
            files.append((stdin_path, STDIN))
        elif Path(given).is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(p for p in Path(given).glob(pattern) if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file())
            if not found:
                print(f"asr: error: {given}: no {'/'.join(AUDIO_EXTENSIONS)} files"
                      + ("" if recursive else " (--recursive looks in subfolders)"), file=sys.stderr)
                failed += 1
            files += [(p, str(p)) for p in found]
        else:
            files.append((Path(given), given))
    return files, failed


def _output_name(shown: str, inputs: list[str]) -> str:
    """NAME of DIR/NAME.FORMAT: a file's stem, or its path under the folder it was found in."""
    if shown == STDIN:
        return "stdin"
    path = Path(shown)
    for given in inputs:
        if given != STDIN and Path(given).is_dir() and path.is_relative_to(given):
            return str(path.relative_to(given).with_suffix(""))
    return path.stem


class _stdin_file:
    """Standard input copied to a temporary file named "stdin": audio decoders need to seek, pipes cannot.
    It is copied a megabyte at a time, so a long recording from a pipe takes disk, not memory."""

    def __enter__(self) -> Path:
        self.folder = Path(tempfile.mkdtemp(prefix="asr-"))
        path = self.folder / "stdin"
        with open(path, "wb") as f:
            shutil.copyfileobj(sys.stdin.buffer, f, 1 << 20)
        return path

    def __exit__(self, *exc) -> bool:
        shutil.rmtree(self.folder, ignore_errors=True)
        return False
