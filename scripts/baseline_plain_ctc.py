"""A plain BiLSTM-CTC script, written apart from the toolkit, to check the toolkit against.

  .venv/bin/python scripts/baseline_plain_ctc.py recipes/mini/data/manifests --minutes 8

It imports nothing from `asr`: its own log-mel features (torchaudio, per-utterance mean and
variance), frame stacking by 3, torch's bidirectional `nn.LSTM` over length-sorted padded batches
of about 30 s of audio, Adam with a short warm-up and a linear decay by the clock, CTC over
lower-case characters, greedy decoding. It reads `train.jsonl` and `test.jsonl` from the manifest
folder, computes every feature first (not counted in `--minutes`), trains for `--minutes` and
prints test CER and WER (jiwer). If the toolkit ever scores well below this script on the same
manifests and minutes, something in the toolkit is wrong.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import jiwer
import soundfile as sf
import torch
import torchaudio
from torch import nn

CHARS = " abcdefghijklmnopqrstuvwxyz'"  # index + 1 is the label; 0 is the CTC blank
STACK = 3
FRAMES_PER_SECOND = 100 / STACK


def load(path: str, mel: torchaudio.transforms.MelSpectrogram) -> list[tuple[torch.Tensor, torch.Tensor, str]]:
    """(stacked features (T, 80 * STACK), labels, text) for each manifest line."""
    out = []
    for line in open(path):
        row = json.loads(line)
        text = " ".join("".join(c for c in row["text"].lower() if c in CHARS).split())
        audio, _ = sf.read(row["audio"], dtype="float32")
        feats = torch.log(mel(torch.from_numpy(audio)) + 1e-6).T  # (frames, 80)
        feats = (feats - feats.mean(0)) / (feats.std(0) + 1e-5)
        frames = feats.shape[0] // STACK * STACK
        feats = feats[:frames].reshape(frames // STACK, -1)
        out.append((feats, torch.tensor([CHARS.index(c) + 1 for c in text]), text))
    return out


def length_batches(data: list, seconds: float) -> list[list[int]]:
    """Indices sorted by length, cut into batches of at most `seconds` of (padded) audio."""
    order = sorted(range(len(data)), key=lambda i: len(data[i][0]))
    batches, current = [], []
    for i in order:
        if current and (len(current) + 1) * len(data[i][0]) > seconds * FRAMES_PER_SECOND:
            batches.append(current)
            current = []
        current.append(i)
    return batches + [current]


def collate(data: list, batch: list[int]):
    feats = [data[i][0] for i in batch]
    labels = [data[i][1] for i in batch]
    return (nn.utils.rnn.pad_sequence(feats, batch_first=True), torch.tensor([len(f) for f in feats]),
            torch.cat(labels), torch.tensor([len(y) for y in labels]))


class PlainBiLSTMCTC(nn.Module):
    """Stacked log-mels -> torch's bidirectional nn.LSTM -> per-frame character log-probs."""

    def __init__(self, hidden: int, layers: int):
        super().__init__()
        self.lstm = nn.LSTM(80 * STACK, hidden, num_layers=layers, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, len(CHARS) + 1)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(feats)[0]).log_softmax(-1)  # (B, T, vocab)


def fit(model: nn.Module, train: list, minutes: float, lr: float, batch_seconds: float) -> tuple[int, int]:
    """Adam with a 50-step warm-up and a linear decay by the clock, for `minutes`; returns (steps, epochs)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    ctc = nn.CTCLoss(zero_infinity=True)
    batches = length_batches(train, batch_seconds)
    budget = minutes * 60
    deadline = time.time() + budget
    step = epoch = 0
    while time.time() < deadline:
        random.shuffle(batches)
        epoch += 1
        for batch in batches:
            left = deadline - time.time()
            if left <= 0:
                break
            for group in optimizer.param_groups:
                group["lr"] = lr * min(1.0, (step + 1) / 50) * max(0.05, left / budget)
            feats, lengths, labels, label_lengths = collate(train, batch)
            loss = ctc(model(feats).transpose(0, 1), labels, lengths, label_lengths)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            step += 1
            if step % 500 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.3f}", flush=True)
    return step, epoch


@torch.no_grad()
def greedy_transcripts(model: nn.Module, data: list, batch_seconds: float) -> tuple[list[str], list[str]]:
    """(references, greedy CTC hypotheses) for every utterance of `data`."""
    refs, hyps = [], []
    for batch in length_batches(data, batch_seconds):
        feats, lengths, _, _ = collate(data, batch)
        best = model(feats).argmax(-1)  # (B, T)
        for row, i in enumerate(batch):
            ids = torch.unique_consecutive(best[row, : lengths[row]]).tolist()
            hyps.append(" ".join("".join(CHARS[k - 1] for k in ids if k > 0).split()))
            refs.append(data[i][2])
    return refs, hyps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", help="folder holding train.jsonl and test.jsonl")
    parser.add_argument("--minutes", type=float, default=8.0, help="training time (features not counted)")
    parser.add_argument("--hidden", type=int, default=192, help="LSTM units per direction")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    parser.add_argument("--batch-seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)

    start = time.time()
    mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=80)
    train, test = load(f"{args.manifests}/train.jsonl", mel), load(f"{args.manifests}/test.jsonl", mel)
    print(f"features of {len(train)} train and {len(test)} test utterances: {time.time() - start:.0f} s")

    model = PlainBiLSTMCTC(args.hidden, args.layers)
    steps, epochs = fit(model, train, args.minutes, args.lr, args.batch_seconds)
    refs, hyps = greedy_transcripts(model.eval(), test, args.batch_seconds)
    print(f"{steps} steps, {epochs} epochs in {args.minutes:g} min: "
          f"test CER {100 * jiwer.cer(refs, hyps):.2f}%  WER {100 * jiwer.wer(refs, hyps):.2f}%")


if __name__ == "__main__":
    main()
