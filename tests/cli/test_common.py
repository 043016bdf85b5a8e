"""The decoding options of `asr evaluate` and `asr transcribe` on real recorded digits (FSDD): every search
of a joint CTC/attention model, language-model fusion, attention plots, and one-line errors for mistakes."""

import json
import math
from collections import Counter
from pathlib import Path

import matplotlib.image
import pytest

from asr.cli.main import main
from asr.data.manifest import read_manifest, write_manifest
from asr.text.error_rates import error_rates
from asr.text.normalize import normalize_text

# The joint model's searches, as a user asks for them.
SEARCHES = {
    "ctc greedy": ["--decode", "greedy"],  # best path of the CTC head
    "joint beam": [],  # the kind's default: beam 10, the model's training CTC weight
    "attention beam": ["--ctc-weight", "0"],
    "ctc beam": ["--ctc-weight", "1", "--decode", "beam"],  # torchaudio's CTC prefix beam search
}
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@pytest.fixture(scope="module")
def test_subset(digit_manifests: Path, tmp_path_factory) -> Path:
    """40 of the 200 held-out takes (every fifth: each digit from each speaker once), for the slow searches."""
    path = tmp_path_factory.mktemp("subset") / "test40.jsonl"
    write_manifest(path, read_manifest(digit_manifests / "test_takes.jsonl")[::5])
    return path


@pytest.fixture(scope="module")
def char_arpa(digit_manifests: Path, tmp_path_factory) -> Path:
    """A KenLM character bigram ARPA file (KenLM needs at least bigrams) counted from the training transcripts."""
    unigrams, bigrams = Counter(), Counter()
    for utt in read_manifest(digit_manifests / "train.jsonl"):
        tokens = ["<s>", *("|" if c == " " else c for c in normalize_text(utt.text)), "</s>"]
        unigrams.update(tokens)
        bigrams.update(zip(tokens, tokens[1:]))
    total = sum(unigrams.values())
    ones = [f"{-99 if u == '<s>' else math.log10(n / total):.4f}\t{u}\t-1.0" for u, n in sorted(unigrams.items())]
    ones.append("-6.0\t<unk>\t0")
    twos = [f"{math.log10(n / unigrams[a]):.4f}\t{a} {b}" for (a, b), n in sorted(bigrams.items())]
    path = tmp_path_factory.mktemp("kenlm") / "chars.arpa"
    path.write_text("\n".join(["\\data\\", f"ngram 1={len(ones)}", f"ngram 2={len(twos)}", "", "\\1-grams:", *ones,
                               "", "\\2-grams:", *twos, "", "\\end\\", ""]))
    return path


def _evaluate(model: Path, manifest: Path, out: Path, *flags: str) -> list[dict]:
    assert main(["evaluate", "--model", str(model), str(manifest), "--out", str(out), *flags]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def _wer(rows: list[dict]) -> float:
    return error_rates([r["ref"] for r in rows], [r["hyp"] for r in rows])["wer"]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("asr: error:"), err
    return err


def test_every_search_of_a_joint_model_runs_and_joint_beam_beats_ctc_greedy(digit_joint_model, digit_manifests,
                                                                           tmp_path, capsys):
    manifest = digit_manifests / "test_takes.jsonl"
    ids = [u.id for u in read_manifest(manifest)]
    rows = {name: _evaluate(digit_joint_model, manifest, tmp_path / f"{name}.jsonl", *flags)
            for name, flags in SEARCHES.items()}
    printed = capsys.readouterr().out
    wers = {name: _wer(r) for name, r in rows.items()}
    print(wers)
    for name, result in rows.items():
        assert [r["id"] for r in result] == ids, name
        assert sum(bool(r["hyp"]) for r in result) > len(ids) / 2, name
        assert f"WER {100 * wers[name]:.2f}%" in printed, name  # the corpus figure is that of the rows written
    assert wers["joint beam"] <= wers["ctc greedy"], wers
    assert wers["joint beam"] < 0.25, wers  # the attention decoder learned the digits
    assert wers["ctc beam"] <= wers["ctc greedy"], wers  # prefix search sums the paths of each labelling
    # greedy reads the CTC head, the default search mostly the attention decoder: they disagree somewhere
    assert [r["hyp"] for r in rows["ctc greedy"]] != [r["hyp"] for r in rows["joint beam"]]


def test_lstm_lm_fusion_in_ctc_and_joint_beam_search(digit_joint_model, digit_lm, digit_manifests, test_subset,
                                                     tmp_path):
    ctc = ["--ctc-weight", "1", "--decode", "beam"]
    plain = _evaluate(digit_joint_model, test_subset, tmp_path / "ctc.jsonl", *ctc)
    fused = _evaluate(digit_joint_model, test_subset, tmp_path / "ctc_lm.jsonl", *ctc, "--lm", str(digit_lm),
                      "--lm-weight", "0.3")
    assert len(fused) == len(plain) == 40
    # The weak CTC head misspells digits; an LM that knows the ten words mends many of them.
    assert _wer(fused) < _wer(plain), (_wer(fused), _wer(plain))

    manifest = digit_manifests / "test_takes.jsonl"  # joint beam search is fast: all 200 takes
    joint = _evaluate(digit_joint_model, manifest, tmp_path / "joint.jsonl")
    light = _evaluate(digit_joint_model, manifest, tmp_path / "joint_lm.jsonl", "--lm", str(digit_lm),
                      "--lm-weight", "0.3")
    heavy = _evaluate(digit_joint_model, manifest, tmp_path / "joint_lm3.jsonl", "--lm", str(digit_lm),
                      "--lm-weight", "3")
    print({"ctc beam": _wer(plain), "ctc beam + lm": _wer(fused), "joint": _wer(joint),
           "joint + lm 0.3": _wer(light), "joint + lm 3": _wer(heavy)})
    assert len(light) == len(heavy) == 200 and sum(bool(r["hyp"]) for r in light) > 150
    assert [r["hyp"] for r in heavy] != [r["hyp"] for r in joint]  # the LM's scores reach the search


def test_kenlm_works_with_ctc_beam_search_only(digit_joint_model, char_arpa, test_subset, tmp_path, capsys):
    rows = _evaluate(digit_joint_model, test_subset, tmp_path / "kenlm.jsonl", "--ctc-weight", "1", "--decode",
                     "beam", "--lm", str(char_arpa), "--lm-weight", "0.3")
    assert len(rows) == 40 and sum(bool(r["hyp"]) for r in rows) > 20
    capsys.readouterr()
    out = tmp_path / "refused.jsonl"
    assert main(["evaluate", "--model", str(digit_joint_model), str(test_subset), "--out", str(out),
                 "--lm", str(char_arpa), "--lm-weight", "0.3"]) == 2
    assert "CTC beam search only" in _one_error_line(capsys)
    assert not out.exists()


def test_max_len_ratio_bounds_the_attention_search(digit_joint_model, test_subset, tmp_path):
    # Under a second of audio is under 30 encoder frames (3x frame stacking): 0.02 of that is one token.
    assert max(u.duration for u in read_manifest(test_subset)) < 1.0
    rows = _evaluate(digit_joint_model, test_subset, tmp_path / "short.jsonl", "--ctc-weight", "0",
                     "--max-len-ratio", "0.02")
    assert all(len(r["hyp"]) <= 1 for r in rows) and sum(bool(r["hyp"]) for r in rows) > 20


def test_plot_attention_writes_one_png_per_utterance(digit_joint_model, digit_manifests, tmp_path):
    manifest = tmp_path / "six.jsonl"
    utterances = read_manifest(digit_manifests / "test_takes.jsonl")[::35]
    write_manifest(manifest, utterances)
    plots = tmp_path / "attention"
    _evaluate(digit_joint_model, manifest, tmp_path / "hyps.jsonl", "--plot-attention", str(plots))
    assert sorted(p.name for p in plots.iterdir()) == sorted(f"{u.id}.png" for u in utterances)
    for png in plots.iterdir():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000, png
        image = matplotlib.image.imread(png)
        assert min(image.shape[:2]) > 100 and image.std() > 0.05, (png, image.shape)  # a picture, not a blank


def test_plot_attention_is_refused_for_a_ctc_model(digit_model, test_subset, tmp_path, capsys):
    plots = tmp_path / "attention"
    assert main(["evaluate", "--model", str(digit_model), str(test_subset), "--out", str(tmp_path / "h.jsonl"),
                 "--plot-attention", str(plots)]) == 2
    err = _one_error_line(capsys)
    assert "--plot-attention" in err and "ctc" in err
    assert not plots.exists()


# A user's mistake -> what the one error line must name ({lm}, {arpa}, {missing}, {notes} are filled in).
MISTAKES = {
    "lm with greedy": (["--decode", "greedy", "--lm", "{lm}", "--lm-weight", "0.3"], "--decode beam"),
    "missing lm": (["--lm", "{missing}.pt", "--lm-weight", "0.3"], "{missing}.pt"),
    "missing arpa": (["--ctc-weight", "1", "--decode", "beam", "--lm", "{missing}.arpa"], "{missing}.arpa"),
    "kenlm with attention search": (["--lm", "{arpa}", "--lm-weight", "0.3"], "CTC beam search only"),
    "acoustic model as lm": (["--lm", "{model}", "--lm-weight", "0.3"], "not a language model"),
    "not an arpa file": (["--ctc-weight", "1", "--decode", "beam", "--lm", "{notes}", "--lm-weight", "0.3"],
                         "cannot load the language model {notes}"),
    "missing lexicon": (["--ctc-weight", "1", "--decode", "beam", "--lexicon", "{missing}.txt"], "{missing}.txt"),
    "beam 0": (["--beam", "0"], "beam must be between 1 and 1000, not 0"),
    # values past which only time and memory go (a beam of 100000 took 11 GB and minutes)
    "beam 100000": (["--beam", "100000"], "beam must be between 1 and 1000, not 100000"),
    "max len ratio 1e6": (["--max-len-ratio", "1e6"], "max_len_ratio must be above 0 and at most 10.0"),
    "ctc weight 1.5": (["--ctc-weight", "1.5"], "between 0 and 1"),
    # numbers that parse but can only give nonsense (a NaN bonus gave an empty transcript and exit 0)
    "length bonus nan": (["--length-bonus", "nan"], "length bonus must be a finite number, not nan"),
    "lm weight inf": (["--lm", "{lm}", "--lm-weight", "inf"], "lm weight must be a finite number, not inf"),
    "lm weight below 0": (["--lm", "{lm}", "--lm-weight", "-0.5"], "lm weight must be at least 0"),
    "max len ratio nan": (["--max-len-ratio", "nan"], "max len ratio must be a finite number"),
    "max chunk nan": (["--max-chunk", "nan"], "--max-chunk must be 0 (never cut) or at least 2 s, not nan"),
    "coverage without a speller": (["--ctc-weight", "1", "--coverage", "0.5"], "--coverage scores where the speller"),
    "coverage nan": (["--coverage", "nan"], "coverage must be a finite number, not nan"),
}


@pytest.mark.parametrize("command", ["evaluate", "transcribe"])
@pytest.mark.parametrize("mistake", MISTAKES)
def test_decoding_mistakes_are_one_line_errors(mistake, command, digit_joint_model, digit_lm, char_arpa,
                                               test_subset, fsdd_recordings, tmp_path, capsys):
    flags, expected = MISTAKES[mistake]
    notes = tmp_path / "notes.arpa"
    notes.write_text("these are my notes, not a language model\n")
    names = {"lm": digit_lm, "arpa": char_arpa, "missing": tmp_path / "nowhere", "model": digit_joint_model,
             "notes": notes}
    flags = [f.format(**names) for f in flags]
    out = tmp_path / "hyps.jsonl"
    inputs = [str(test_subset), "--out", str(out)] if command == "evaluate" else [
        str(fsdd_recordings / "7_theo_0.wav")]
    assert main([command, "--model", str(digit_joint_model), *inputs, *flags]) == 2
    err = _one_error_line(capsys)
    assert expected.format(**names) in err, err
    assert capsys.readouterr().out == "" and not out.exists()


def _takes(fsdd_recordings: Path) -> dict[Path, str]:
    """Ten held-out takes (0-4), one of each digit, from all four speakers -> their digit."""
    speakers = ["jackson", "nicolas", "theo", "yweweler"]
    return {fsdd_recordings / f"{d}_{speakers[d % 4]}_{d % 5}.wav": DIGITS[d] for d in range(10)}


def _transcribe(model: Path, files, capsys, *flags: str) -> dict[str, str]:
    assert main(["transcribe", "--model", str(model), *map(str, files), *flags]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(f) for f in files]
    return dict(line.split("\t") for line in lines)


def test_transcribe_takes_the_decoding_flags(digit_joint_model, digit_lm, digit_manifests, fsdd_recordings,
                                             tmp_path, capsys):
    takes = _takes(fsdd_recordings)
    manifest = tmp_path / "takes.jsonl"
    by_id = {u.id: u for u in read_manifest(digit_manifests / "test_takes.jsonl")}
    write_manifest(manifest, [by_id[f.stem] for f in takes])
    for flags in (["--decode", "beam", "--beam", "5", "--lm", str(digit_lm), "--lm-weight", "0.3"],
                  ["--ctc-weight", "0", "--decode", "greedy"],
                  ["--ctc-weight", "1", "--decode", "beam", "--lm", str(digit_lm), "--lm-weight", "0.3"]):
        texts = _transcribe(digit_joint_model, takes, capsys, *flags)
        # The same flags give evaluate's hypotheses: transcribe does not decode its own way.
        rows = _evaluate(digit_joint_model, manifest, tmp_path / "hyps.jsonl", *flags)
        capsys.readouterr()
        assert [texts[str(f)] for f in takes] == [r["hyp"] for r in rows], flags
        assert sum(texts[str(f)] == digit for f, digit in takes.items()) >= len(takes) // 2, (flags, texts)


def test_ctc_model_beam_search_agrees_with_greedy_on_clean_takes(digit_model, fsdd_recordings, capsys):
    takes = _takes(fsdd_recordings)
    greedy = _transcribe(digit_model, takes, capsys)
    beam = _transcribe(digit_model, takes, capsys, "--decode", "beam")
    print(greedy, beam)
    assert beam == greedy
    assert sum(greedy[str(f)] == digit for f, digit in takes.items()) >= len(takes) - 1, greedy
