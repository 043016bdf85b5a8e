"""LibriSpeech: download subsets, and write one manifest per subset found in a tree.

The layout is LibriSpeech's own::

    ROOT/[LibriSpeech/]SUBSET/SPEAKER/CHAPTER/SPEAKER-CHAPTER-UTT.flac
    ROOT/[LibriSpeech/]SUBSET/SPEAKER/CHAPTER/SPEAKER-CHAPTER.trans.txt   ("UTT-ID TEXT" per line)

A transcript line need not have audio, nor audio a line (partial downloads, the shared test
data, hand-made corpora): both are counted in the report and left out of the manifest.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

from asr.data.audio import AUDIO_EXTENSIONS
from asr.data.manifest import PrepareReport, Utterance, write_manifest
from asr.errors import UserError
from asr.utils.progress import progress

log = logging.getLogger(__name__)

OPENSLR_LIBRISPEECH = "https://www.openslr.org/resources/12"
OPENSLR_MINI_LIBRISPEECH = "https://www.openslr.org/resources/31"
# Known subset -> where its SUBSET.tar.gz lives.
SUBSET_URLS = {
    **{name: OPENSLR_LIBRISPEECH for name in (
        "dev-clean", "dev-other", "test-clean", "test-other",
        "train-clean-100", "train-clean-360", "train-other-500")},
    "dev-clean-2": OPENSLR_MINI_LIBRISPEECH,
    "train-clean-5": OPENSLR_MINI_LIBRISPEECH,
}


def find_subsets(root: Path) -> dict[str, Path]:
    """Find every LibriSpeech subset under ``root``: subset name -> its folder.

    ``root`` may be a folder of subsets, a parent of a ``LibriSpeech/`` folder, or one subset.

    Raises:
        UserError: ``root`` is not a folder or holds no subset.
    """
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: no such folder")
    base = root / "LibriSpeech" if (root / "LibriSpeech").is_dir() else root
    if _is_subset(base):
        return {base.name: base}
    found = {child.name: child for child in sorted(base.iterdir())
             if child.is_dir() and not child.name.startswith(".") and _is_subset(child)}
    if not found:
        raise UserError(f"{root}: no LibriSpeech subset found "
                        "(expected SUBSET/SPEAKER/CHAPTER/*.flac and *.trans.txt)")
    return found


def _is_subset(folder: Path) -> bool:
    """True when ``folder`` has SPEAKER/CHAPTER/ sub-folders holding transcripts or audio."""
    patterns = ["*/*/*.trans.txt"] + [f"*/*/*{ext}" for ext in AUDIO_EXTENSIONS]
    # any() stops at the first match, so this stays cheap on a 280,000-file subset.
    return any(any(folder.glob(pattern)) for pattern in patterns)


def prepare_librispeech(root: Path, out_dir: Path, subsets: Sequence[str] | None = None,
                        decode_audio: bool = True) -> dict[str, PrepareReport]:
    """Write ``out_dir/SUBSET.jsonl`` for every subset under ``root`` (or only ``subsets``).

    decode_audio: decode every file to leave out damaged ones (False: read headers only; decoding
    train-clean-100 takes about a minute on 2 cores).

    Returns:
        subset name -> its report (utterances written, problems skipped).
    Raises:
        UserError: ``root`` holds no subset, or one of ``subsets`` is not there.
    """
    found = find_subsets(Path(root))
    if subsets:
        absent = [name for name in subsets if name not in found]
        if absent:
            raise UserError(f"{root}: no subset {', '.join(absent)} "
                            f"(found {', '.join(found)})")
        found = {name: found[name] for name in subsets}
    return {name: prepare_subset(folder, Path(out_dir) / f"{name}.jsonl", decode_audio)
            for name, folder in found.items()}


def prepare_subset(folder: Path, out_path: Path, decode_audio: bool = True) -> PrepareReport:
    """Write the manifest of one subset folder (SPEAKER/CHAPTER/...), sorted by utterance id."""
    report = PrepareReport(name=folder.name, decode_audio=decode_audio)
    texts = _read_transcripts(folder, report)
    audio = _find_audio(folder, report)
    utterances = []
    for utt_id, path in progress(sorted(audio.items()), desc=folder.name, unit="file", leave=False):
        if utt_id not in texts:
            report.add_problem("no_text", str(path))
            continue
        duration = report.duration_or_problem(path)
        if duration is None:
            continue
        # SPEAKER/CHAPTER/file: the speaker is the grandparent folder.
        utterances.append(Utterance(id=utt_id, audio=str(path.absolute()), duration=duration,
                                    text=texts[utt_id], speaker=path.parent.parent.name))
    for utt_id in sorted(set(texts) - set(audio)):
        report.add_problem("no_audio", utt_id)
    write_manifest(out_path, utterances)
    report.add_written(out_path, utterances)
    return report


def _read_transcripts(folder: Path, report: PrepareReport) -> dict[str, str]:
    """Every ``UTT-ID TEXT`` line of the subset's trans.txt files: id -> text as written."""
    texts: dict[str, str] = {}
    for trans in sorted(folder.glob("*/*/*.trans.txt")):
        try:
            lines = trans.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            # Its chapter's audio then shows up as audio with no transcript.
            report.add_problem("unreadable", f"{trans}: cannot read transcript ({err})")
            continue
        for number, line in enumerate(lines, start=1):
            parts = line.strip().split(maxsplit=1)
            if not parts:
                continue
            utt_id, text = parts[0], (parts[1] if len(parts) > 1 else "")
            if utt_id in texts:
                report.add_problem("duplicate", f"{trans}:{number}: {utt_id}")
                continue
            texts[utt_id] = text
    return texts


def _find_audio(folder: Path, report: PrepareReport) -> dict[str, Path]:
    """Every audio file of the subset: utterance id (the file stem) -> path."""
    audio: dict[str, Path] = {}
    for ext in AUDIO_EXTENSIONS:
        for path in sorted(folder.glob(f"*/*/*{ext}")):
            if path.stem in audio:
                # e.g. both x.flac and x.wav: keep the first, never pick one silently.
                report.add_problem("duplicate", str(path))
                continue
            audio[path.stem] = path
    return audio


def published_sha256(subset: str) -> str | None:
    """The SHA-256 of OpenSLR's ``SUBSET.tar.gz`` as torchaudio's LibriSpeech dataset records it,
    or None for an archive it does not list (Mini LibriSpeech, a mirror's own name)."""
    try:
        from torchaudio.datasets.librispeech import _CHECKSUMS
    except ImportError:  # a torchaudio without the table: the gzip and tar checks still run
        return None
    return next((digest for url, digest in _CHECKSUMS.items() if url.endswith(f"/{subset}.tar.gz")), None)


def download_librispeech(subset: str, dest: Path, base_url: str | None = None,
                         keep_archive: bool = False, sha256: str | None = None) -> Path:
    """Download and extract ``BASE_URL/SUBSET.tar.gz`` into ``dest/LibriSpeech/SUBSET``.

    Does nothing when that folder already exists. An interrupted download continues where it
    stopped (an HTTP range request on ``SUBSET.tar.gz.part``). The archive must have the SHA-256
    OpenSLR publishes (or `sha256`), be a tar.gz, and hold only plain files and folders inside the
    target (`tarfile`'s "data" filter refuses absolute paths, ``..`` and links out of it).
    Extraction goes to a temporary folder that is renamed into place at the end, so the folder
    existing means the subset is complete.

    Args:
        subset: e.g. "dev-clean", "train-clean-100", or a Mini LibriSpeech "dev-clean-2".
        dest: where ``LibriSpeech/`` is created; the archive is downloaded here too.
        base_url: folder URL holding the archive (a mirror, or ``file://`` for a local copy);
            defaults to the OpenSLR resource that holds ``subset``.
        keep_archive: keep ``dest/SUBSET.tar.gz`` after extraction instead of deleting it.
        sha256: the archive's expected SHA-256; default: the published one, when known.
    Returns:
        the subset folder, ``dest/LibriSpeech/SUBSET``.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", subset):
        raise UserError(f"invalid subset name {subset!r}")
    if base_url is None:
        if subset not in SUBSET_URLS:
            raise UserError(f"unknown LibriSpeech subset {subset!r}; known: "
                            f"{', '.join(SUBSET_URLS)} (or give a base URL)")
        base_url = SUBSET_URLS[subset]
    dest = Path(dest)
    target = dest / "LibriSpeech" / subset
    if target.is_dir():
        log.info("%s already extracted; skipping download", target)
        return target
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / f"{subset}.tar.gz"
    if not archive.exists():
        _download(f"{base_url.rstrip('/')}/{subset}.tar.gz", archive)
    expected = sha256 or published_sha256(subset)
    if expected is not None:
        digest = _sha256(archive)
        if digest != expected.lower():
            archive.unlink()
            raise UserError(f"{archive.name}: checksum mismatch (SHA-256 {digest[:12]}..., expected "
                            f"{expected[:12]}...): a damaged or different archive, deleted; run again to download it anew")
    _extract(archive, dest, subset)
    if not keep_archive:
        archive.unlink()
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, archive: Path) -> None:
    """Stream ``url`` to ``archive.part`` (continuing a partial one where the server allows ranges),
    check it is a tar.gz, then rename it to ``archive``. An interrupted transfer keeps the part."""
    part = archive.with_name(archive.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request) as response:
            resumed = have > 0 and getattr(response, "status", 200) == 206
            have = have if resumed else 0  # a server without ranges sends it all again
            total = int(response.headers.get("Content-Length") or 0) + have or None
            with open(part, "ab" if resumed else "wb") as out, \
                    progress(total=total, initial=have, unit="B", unit_scale=True, desc=archive.name) as bar:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # the part is already whole: nothing left to send
            pass
        else:
            raise UserError(f"could not download {url}: {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        raise UserError(f"could not download {url}: {reason} (run again to continue)") from None
    if not _is_tar_gz(part):
        part.unlink()
        raise UserError(f"{url} is not a tar.gz archive")
    os.replace(part, archive)


def _is_tar_gz(path: Path) -> bool:
    """Gzip magic bytes, then a tar header inside: catches an HTML error page saved as .tar.gz."""
    with open(path, "rb") as f:
        if f.read(2) != b"\x1f\x8b":
            return False
    try:
        return tarfile.is_tarfile(path)
    except (OSError, EOFError, zlib.error):
        return False


def _extract(archive: Path, dest: Path, subset: str) -> None:
    """Extract safely (no absolute paths, links out of the tree or devices) and move into place."""
    if not _is_tar_gz(archive):
        raise UserError(f"{archive}: not a tar.gz archive; delete it and try again")
    with tempfile.TemporaryDirectory(dir=dest, prefix=f".{subset}.extracting.") as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
            raise UserError(f"{archive}: cannot extract ({err}); delete it and try again") \
                from None
        extracted = Path(tmp) / "LibriSpeech"
        if not (extracted / subset).is_dir():
            raise UserError(f"{archive}: does not contain LibriSpeech/{subset}/")
        (dest / "LibriSpeech").mkdir(exist_ok=True)
        # The corpus-wide files (SPEAKERS.TXT, README.TXT, ...) come with every subset.
        for item in extracted.iterdir():
            if item.name != subset and not (dest / "LibriSpeech" / item.name).exists():
                shutil.move(item, dest / "LibriSpeech" / item.name)
        os.replace(extracted / subset, dest / "LibriSpeech" / subset)
