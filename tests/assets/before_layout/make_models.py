"""Writes the model files of tests/assets/before_layout and what the code of their day made of them.

Run once at commit 41aec8d (the layout before issue 19), from the repository root:
    .venv/bin/python tests/assets/before_layout/make_models.py
It trains one tiny model of every kind with `asr train` / `asr lm train` (a few steps on 40 FSDD takes
of the in-repository sample) and records, for the eight recordings of tests/assets/v1_model: each
acoustic model's transcripts and word times under its default decoding and under a beam of 3, its
encoder output and CTC log-probs for the first recording; each autoencoder's vectors; the LM's
log-probs over a sentence. tests/test_model_file.py checks that today's code gives the same.
This script imports the modules of that day (asr.recognizer, asr.embedding); it is a record, not a test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
WAVS = sorted((ROOT / "tests" / "assets" / "v1_model").glob("*.wav"))
WORK = Path("/tmp/before_layout_work")


def asr(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "asr.cli.main", *args], check=True, cwd=ROOT)


def prepare() -> tuple[Path, Path]:
    shutil.rmtree(WORK, ignore_errors=True)
    corpus = WORK / "fsdd"
    corpus.mkdir(parents=True)
    source = ROOT / "tests" / "assets" / "fsdd" / "recordings"
    for digit in range(10):
        for speaker in ("jackson", "nicolas", "theo", "yweweler"):
            for take in (0, 1):
                name = f"{digit}_{speaker}_{take}.wav"
                shutil.copy(source / name, corpus / name)
    asr("prepare", "fsdd", str(corpus), "--out", str(WORK / "manifests"), "--test-speakers", "theo",
        "--dev-takes", "1", "--test-takes", "none")
    return WORK / "manifests" / "train.jsonl", WORK / "manifests" / "dev.jsonl"


TINY = ["--model.hidden", "16", "--model.layers", "1", "--train.max_epochs", "2", "--train.threads", "1",
        "--features.sample_rate", "8000", "--features.n_fft", "256", "--features.n_mels", "20",
        "--data.max_batch_seconds", "20", "--train.warmup_steps", "5", "--train.checkpoint_every", "1000"]
SPELLER = ["--model.decoder_hidden", "12", "--model.attention_dim", "8", "--model.embed_dim", "6"]
ACOUSTIC = {
    "ctc_char": ["--model.kind", "ctc", "--tokenizer.kind", "char", "--model.stack", "2"],
    "ctc_word_gru": ["--model.kind", "ctc", "--tokenizer.kind", "word", "--model.cell", "gru"],
    "las_char": ["--model.kind", "las", "--tokenizer.kind", "char", "--model.attention", "location", *SPELLER],
    "joint_unigram": ["--model.kind", "joint", "--tokenizer.kind", "unigram", "--tokenizer.vocab_size", "30",
                      "--model.ctc_weight", "0.4", "--model.attention", "additive", "--model.cell", "jordan",
                      "--model.pyramid", "1", "--model.layers", "2", *SPELLER],
}
EMBEDDERS = {
    "sa": ["--model.kind", "sa", "--model.stack", "1", "--model.vector_dim", "8", "--model.decoder_hidden", "8",
           "--features.kind", "mfcc", "--features.n_mfcc", "13"],
    "dsa": ["--model.kind", "dsa", "--model.stack", "1", "--model.vector_dim", "8", "--model.decoder_hidden", "8",
            "--specaugment.time_masks", "1", "--model.bidirectional", "false"],
    "cae": ["--model.kind", "cae", "--model.stack", "1", "--model.vector_dim", "8", "--model.decoder_hidden", "8",
            "--model.cell", "rnn"],
}


def main() -> None:
    from asr.recognizer import load_model

    from asr.data.audio import load_audio
    from asr.embedding import embed_waves
    from asr.model_file import load_model_file

    train, dev = prepare()
    data = ["--data.train", str(train), "--data.dev", str(dev)]
    reference: dict = {}
    for name, extra in {**ACOUSTIC, **EMBEDDERS}.items():
        asr("train", "--out", str(WORK / name), *data, *TINY, *extra)
        shutil.copy(WORK / name / "model.pt", HERE / f"{name}.pt")
    asr("lm", "train", str(train), "--tokenizer", str(HERE / "ctc_char.pt"), "--out", str(HERE / "lm.pt"),
        "--lm.hidden", "16", "--lm.embed_dim", "8", "--lm.layers", "1", "--lm.max_epochs", "2")

    outputs: dict[str, torch.Tensor] = {}
    for name in ACOUSTIC:
        recognizer = load_model(HERE / f"{name}.pt")
        entry = {}
        for label, options in {"default": {}, "beam3": {"decode": "beam", "beam": 3}}.items():
            results = recognizer.transcribe([str(w) for w in WAVS], **options)
            entry[label] = [{"text": r.text, "words": [[w.word, w.start, w.end] for w in r.words]} for r in results]
        reference[name] = entry
        loaded = recognizer.loaded
        wave = load_audio(WAVS[0], loaded.features.cfg.sample_rate)
        with torch.no_grad():
            feats, lens = loaded.features(wave[None], torch.tensor([len(wave)]))
            enc, _ = loaded.model.encode(feats, lens)
            outputs[f"{name}.encoder"] = enc[0]
            ctc = loaded.model.ctc_log_probs(enc)
            if ctc is not None:
                outputs[f"{name}.ctc"] = ctc[0]
    for name in EMBEDDERS:
        loaded = load_model_file(HERE / f"{name}.pt")
        waves = [load_audio(w, loaded.features.cfg.sample_rate) for w in WAVS]
        outputs[f"{name}.vectors"] = embed_waves(loaded, waves)
    lm = load_model_file(HERE / "lm.pt")
    tokens = torch.tensor([lm.tokenizer.encode("one two three four")])
    with torch.no_grad():
        outputs["lm.log_probs"] = lm.model(tokens)[0][0]
    torch.save(outputs, HERE / "outputs.pt")
    (HERE / "transcripts.json").write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()
