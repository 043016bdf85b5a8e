"""A tiny LibriSpeech archive made from the real corpus of the root conftest (../shared/data, or the sample in
tests/assets), for the data tests."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest


def _chapters(subset: Path, count: int) -> list[Path]:
    """The first ``count`` SPEAKER/CHAPTER folders of a subset, in a fixed order."""
    return sorted(trans.parent for trans in subset.glob("*/*/*.trans.txt"))[:count]


@pytest.fixture(scope="session")
def librispeech_archive(librispeech_subset: Path, tmp_path_factory) -> tuple[str, int]:
    """A ``dev-clean-2.tar.gz`` of two real chapters, laid out as OpenSLR's.

    Returns:
        the ``file://`` URL of its folder (a ``base_url``), and the number of flacs inside.
    """
    folder = tmp_path_factory.mktemp("openslr")
    count = 0
    with tarfile.open(folder / "dev-clean-2.tar.gz", "w:gz") as tar:
        readme = folder / "README.TXT"
        readme.write_text("Mini LibriSpeech (two chapters, for tests)\n")
        tar.add(readme, arcname="LibriSpeech/README.TXT")
        for chapter in _chapters(librispeech_subset, 2):
            arc = f"LibriSpeech/dev-clean-2/{chapter.parent.name}/{chapter.name}"
            tar.add(chapter, arcname=arc)
            count += len(list(chapter.glob("*.flac")))
    return folder.as_uri(), count
