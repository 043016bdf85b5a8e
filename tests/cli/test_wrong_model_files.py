"""A model file of the wrong kind for a command, or a file that is no model at all, is one line that
names the file and what the command needs, exit status 2, for every command that reads one."""

import json
from pathlib import Path

import pytest
import soundfile as sf
import torch

from asr.cli.main import main
from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.model_file import save_model_file
from asr.models.ctc_model import CTCModel, CTCModelConfig
from asr.models.rnn_encoder import EncoderConfig
from asr.models.seq_autoencoder import SeqAutoencoder, SeqAutoencoderConfig
from asr.text.tokenizer import build_tokenizer


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Untrained model files of two kinds (a CTC recogniser, an sa autoencoder), a file that is no model,
    a manifest of one spoken segment and its wav."""
    root = tmp_path_factory.mktemp("models")
    features = FeaturePipeline(FeatureConfig(n_mels=40), torch.zeros(40), torch.ones(40))
    encoder = EncoderConfig(input_dim=40, hidden=8, layers=1)
    tokenizer = build_tokenizer("char", ["hello"])
    save_model_file(root / "ctc.pt", CTCModel(CTCModelConfig(encoder, vocab_size=len(tokenizer))), features, tokenizer)
    save_model_file(root / "sa.pt", SeqAutoencoder(SeqAutoencoderConfig(encoder=encoder, vector_dim=8, decoder_hidden=8)),
                    features, None)
    (root / "text.pt").write_text("not a model\n")
    (root / "cut.pt").write_bytes((root / "ctc.pt").read_bytes()[:1000])  # a copy cut short
    torch.save({"pytorch-lightning_version": "2.6.1", "state_dict": {}, "epoch": 3}, root / "best.ckpt")
    sf.write(root / "a.wav", torch.randn(16000).numpy() * 0.1, 16000)
    (root / "m.jsonl").write_text(json.dumps({"id": "a", "audio": str(root / "a.wav"), "start": 0.1, "end": 0.6,
                                              "word": "hello", "speaker": "s"}) + "\n")
    return {"ctc": root / "ctc.pt", "sa": root / "sa.pt", "text": root / "text.pt",
            "cut": root / "cut.pt", "ckpt": root / "best.ckpt", "manifest": root / "m.jsonl",
            "wav": root / "a.wav", "out": root / "out"}


@pytest.mark.parametrize("command, model, says", [
    (["transcribe", "--model", "{model}", "{wav}"], "sa", "sa model"),
    (["evaluate", "--model", "{model}", "{manifest}", "--out", "{out}/h.jsonl"], "sa", "sa model"),
    (["align", "--model", "{model}", "{manifest}", "--out", "{out}/s.jsonl"], "sa", "sa model"),
    (["embed", "--model", "{model}", "--manifest", "{manifest}", "--out", "{out}/v"], "ctc", "ctc model"),
    (["lm", "train", "{manifest}", "--tokenizer", "{model}", "--out", "{out}/lm.pt"], "sa", "sa model"),
    (["transcribe", "--model", "{model}", "{wav}"], "text", "not a readable model file"),
    (["embed", "--model", "{model}", "--manifest", "{manifest}", "--out", "{out}/v"], "text",
     "not a readable model file"),
    (["transcribe", "--model", "{model}", "{wav}"], "cut", "not a readable model file"),
    (["evaluate", "--model", "{model}", "{manifest}", "--out", "{out}/h.jsonl"], "ckpt",
     "a training checkpoint, not a model file"),
    (["train", "--out", "{out}/cae", "--data.train", "{manifest}", "--data.dev", "{manifest}", "--model.kind", "cae",
      "--model.init_from", "{model}"], "ctc", "ctc model"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v[:1]))
def test_a_wrong_model_file_is_one_line(command, model, says, files, capsys) -> None:
    args = [a.format(model=files[model], **{k: v for k, v in files.items() if k != "model"}) for a in command]
    assert main(args) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("asr: ")]
    assert len(err) == 1 and str(files[model]) in err[0] and says in err[0], err
