"""Training the Audio Word2Vec autoencoders (model.kind sa, dsa, cae) on spoken segments.

The manifests hold one segment per line, whole files (an isolated-word corpus such as FSDD, the
word is the line's text) or segments cut by `asr align` (start, end, word). The model learns
from the audio alone; words are used only to pair instances for the correspondence autoencoder
and to measure, on dev, how well the vectors find the same word (same-different AP).

    sa   reconstruct the segment's own frames
    dsa  reconstruct them from a masked copy (the specaugment section's masks, input only)
    cae  reconstruct another instance of the same word, from another speaker when the word has one
         (Kamper 2019); start it from a trained sa with model.init_from

Every kind can also train on changed voices, input only (the target stays as recorded): a speed
per read (data.speed_perturb), noise (data.noise_snr), and a random warp of the formant
frequencies (specaugment.freq_warp), as a new speaker's vocal tract would change them; and with
model.speaker_adversary, against a speaker classifier that reads the vector through a reversed
gradient (training only: the model file holds the autoencoder alone).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import torch

from asr.data.manifest import Utterance, describe_lost, split_lost
from asr.errors import UserError
from asr.features.pipeline import FeaturePipeline
from asr.features.specaugment import SpecAugmentConfig, spec_augment
from asr.model_file import LoadedModel
from asr.models.kinds import EMBEDDING_KINDS
from asr.text.normalize import normalize_text
from asr.training.augmentation import WaveAugmentation
from asr.training.config import Config, TrainConfig
from asr.training.data import (
    Example,
    ItemKey,
    ResumableDataModule,
    SpeechDataset,
    Unreadable,
    item_random,
    measure_cmvn,
    read_utterances,
    split_unreadable,
)
from asr.training.driver import Prepared, Trained, run_training
from asr.training.init_from import load_start, take_all
from asr.training.task import ModelTask


class PairBatch(NamedTuple):
    waves: torch.Tensor  # (B, S) the segments the encoder reads, zero-padded
    wave_lens: torch.Tensor  # (B,)
    target_waves: torch.Tensor  # (B, S2) the segments the decoder writes out (the same ones, or partners)
    target_lens: torch.Tensor  # (B,)
    ids: list[str]
    texts: list[str]  # the words
    speakers: list[str]  # who spoke each input segment
    unreadable: tuple[str, ...] = ()  # why each item left out of the batch could not be read


def partner_table(words: Sequence[str], speakers: Sequence[str], across_speakers: bool) -> list[list[int]]:
    """For each segment, the other segments of its word it may be paired with: those of other
    speakers when the word has any (and `across_speakers`), else any other instance; itself if alone.

    >>> partner_table(["a", "a", "a", "b"], ["x", "x", "y", "x"], True)
    [[2], [2], [0, 1], [3]]
    """
    by_word: dict[str, list[int]] = defaultdict(list)
    for i, word in enumerate(words):
        by_word[word].append(i)
    table = []
    for i, word in enumerate(words):
        others = [j for j in by_word[word] if j != i]
        if across_speakers:
            others = [j for j in others if speakers[j] != speakers[i]] or others
        table.append(others or [i])
    return table


class SegmentPairDataset(SpeechDataset):
    """(segment, target, id, word): the target is the segment itself, or with `partners` a random one
    of its partners, drawn anew on every read (cached audio as the speech dataset keeps it). With
    `augment`, the segment (not its target) is changed on every read."""

    def __init__(self, examples: Sequence[Example], sample_rate: int, partners: list[list[int]] | None = None,
                 cache_audio: bool = True, seed: int = 0, augment: WaveAugmentation | None = None):
        super().__init__(examples, sample_rate, augment=augment, cache_audio=cache_audio, seed=seed)
        self.partners = partners

    def _item(self, key: ItemKey) -> tuple[torch.Tensor, torch.Tensor, str, str, str]:
        index, rng = item_random(key, self.seed)
        target = rng.choice(self.partners[index]) if self.partners else index
        utt = self.examples[index].utt
        wave = self._wave(index)
        if self.augment is not None:
            wave = self.augment(wave, rng)
        return wave, self._wave(target), utt.id, normalize_text(utt.text), utt.speaker


def collate_pairs(items: list[tuple[torch.Tensor, torch.Tensor, str, str, str] | Unreadable]) -> PairBatch:
    items, unreadable = split_unreadable(items)
    if not items:
        none = torch.zeros(0, 0), torch.zeros(0, dtype=torch.long)
        return PairBatch(*none, *none, [], [], [], unreadable)
    waves, targets, ids, words, speakers = zip(*items, strict=True)
    pad = torch.nn.utils.rnn.pad_sequence
    return PairBatch(pad(list(waves), batch_first=True), torch.tensor([len(w) for w in waves]),
                     pad(list(targets), batch_first=True), torch.tensor([len(w) for w in targets]),
                     list(ids), list(words), list(speakers), unreadable)


class _ReversedGradient(torch.autograd.Function):
    """Identity forward; the gradient goes back negated and scaled (a gradient reversal layer)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.scale * grad, None


class SpeakerAdversary(torch.nn.Module):
    """A speaker classifier over segment vectors whose gradient reaches the encoder reversed: the
    classifier learns to tell the training speakers apart, the encoder to make that impossible."""

    def __init__(self, vector_dim: int, speakers: Sequence[str], weight: float, hidden: int = 128):
        super().__init__()
        self.index = {speaker: i for i, speaker in enumerate(sorted(set(speakers)))}
        self.weight = weight
        self.classify = torch.nn.Sequential(torch.nn.Linear(vector_dim, hidden), torch.nn.ReLU(),
                                            torch.nn.Linear(hidden, len(self.index)))

    def forward(self, vectors: torch.Tensor, speakers: Sequence[str]) -> torch.Tensor:
        """Cross-entropy of the vectors' speakers (B,) names; its gradient into the vectors is reversed
        and scaled by the weight."""
        labels = torch.tensor([self.index[s] for s in speakers], device=vectors.device)
        return torch.nn.functional.cross_entropy(self.classify(_ReversedGradient.apply(vectors, self.weight)), labels)


class EmbedderTask(ModelTask):
    """An autoencoder over feature frames; validation adds the same-different AP of the dev vectors."""

    def __init__(self, model: torch.nn.Module, features: FeaturePipeline, masks: SpecAugmentConfig | None,
                 train_cfg: TrainConfig, freq_warp: float = 0.0, adversary: SpeakerAdversary | None = None):
        super().__init__(model, train_cfg)
        self.features = features
        self.masks = masks
        self.freq_warp = freq_warp  # the largest formant shift of a training input (0: none)
        self.adversary = adversary
        self._dev_vectors: list[torch.Tensor] = []
        self._dev_words: list[str] = []

    def training_loss(self, batch: PairBatch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The reconstruction error, plus the speaker classifier's when there is an adversary: one loss
        trains the classifier and, through the reversed gradient, the encoder against it."""
        if self.adversary is None:
            return super().training_loss(batch)
        feats, feat_lens, target, target_lens = self.loss_inputs(batch, train=True)
        vectors = self.model.embed(feats, feat_lens)
        mse, parts = self.model.vectors_loss(vectors, target, target_lens)
        speaker = self.adversary(vectors, batch.speakers)
        return mse + speaker, {**parts, "speaker": speaker}

    def trained_parameters(self) -> list[torch.nn.Parameter]:
        adversary = list(self.adversary.parameters()) if self.adversary is not None else []
        return super().trained_parameters() + adversary

    def loss_inputs(self, batch: PairBatch, train: bool) -> tuple:
        with torch.no_grad():
            feats, feat_lens = self.features.warped(batch.waves, batch.wave_lens, self.freq_warp if train else 0.0)
            target, target_lens = self.features(batch.target_waves, batch.target_lens)
            if train and self.masks is not None:
                feats = spec_augment(feats, feat_lens, self.masks)
        return feats, feat_lens, target, target_lens

    def validation_step(self, batch: PairBatch, batch_idx: int) -> None:
        if not self._readable(batch):
            return
        feats, feat_lens, target, target_lens = self.loss_inputs(batch, train=False)
        loss, parts = self.model.loss(feats, feat_lens, target, target_lens)
        self._log_losses("val", loss, parts, len(batch.ids))
        self._dev_vectors.append(self.model.embed(feats, feat_lens).cpu())
        self._dev_words += batch.texts

    def on_validation_epoch_end(self) -> None:
        from asr.embedding.metrics import same_different_ap

        if len(set(self._dev_words)) > 1:
            ap = same_different_ap(self._dev_words, vectors=torch.cat(self._dev_vectors).numpy()).average_precision
            self.log("val_ap", ap, prog_bar=True)
            self.log("val_ap_loss", 1 - ap)  # what the best checkpoint minimises
        self._dev_vectors, self._dev_words = [], []


def _examples(utterances: list[Utterance], what: str) -> list[Example]:
    kept, lost = split_lost(utterances)
    if lost:  # the same rule and report as an acoustic model's training
        print(f"{what}: left out of training: {describe_lost(lost)}", flush=True)
    if not kept:
        raise UserError(f"no {what} segment has a word: the dev AP and cae pairs need them")
    return [Example(u, []) for u in kept]


def train_embedder(cfg: Config, out_dir: str | Path) -> Trained:
    """Fit an sa, dsa or cae model as configured; returns its model file (out_dir/model.pt) and how many
    files were left out because they could not be read."""
    if cfg.model.kind not in EMBEDDING_KINDS:
        raise ValueError(f"train_embedder trains {', '.join(EMBEDDING_KINDS)}, not {cfg.model.kind}")
    out_dir = Path(out_dir)
    return run_training(lambda: _prepare(cfg), cfg.train.seed, out_dir, out_dir / "model.pt")


def _prepare(cfg: Config) -> Prepared:
    """Segments, features (the start model's, or measured), the model (from the start model's weights) and its task."""
    kind = cfg.model.kind
    train_utts = read_utterances(cfg.data.train, "train", cfg.data.max_duration)
    dev_utts = read_utterances(cfg.data.dev, "dev", cfg.data.max_duration)
    start = _start_from(cfg.model.init_from) if cfg.model.init_from else None
    unreadable: set[str] = set()
    # the start's frames and statistics (its weights learned on them), else this config's, measured
    features = start.features if start is not None else FeaturePipeline(cfg.features)
    model = cfg.model.new_model(features.dim)  # before the statistics: a model too large is refused at once
    if start is None:
        features = measure_cmvn(features, train_utts, cfg.data.cmvn_utterances, cfg.train.seed, unreadable)
    if start is not None:
        _load_weights(model, start.model, cfg.model.init_from)
    train_ex, dev_ex = _examples(train_utts, "train"), _examples(dev_utts, "dev")
    partners = _partners(train_ex, cfg.data.pair_across_speakers) if kind == "cae" else None
    sample_rate = features.cfg.sample_rate
    augment = WaveAugmentation.from_config(cfg.data, sample_rate)
    if augment is not None:
        print(augment.describe(), flush=True)
    if cfg.specaugment.freq_warp > 0:
        print(f"encoder input: formants warped by up to {cfg.specaugment.freq_warp:.0%}", flush=True)
    data = ResumableDataModule(SegmentPairDataset(train_ex, sample_rate, partners, seed=cfg.train.seed,
                                                  augment=augment),
                               SegmentPairDataset(dev_ex, sample_rate), collate_pairs,
                               max_batch_seconds=cfg.data.max_batch_seconds, max_batch_size=cfg.data.max_batch_size,
                               seed=cfg.train.seed)
    sa = cfg.specaugment
    masks = sa if kind == "dsa" else None
    if masks is not None and not (sa.freq_masks or sa.time_masks):
        raise UserError("a dsa model needs masks: set specaugment.time_masks or specaugment.freq_masks")
    params = sum(p.numel() for p in model.parameters())
    enc = model.cfg.encoder
    print(f"model: {kind}, encoder {enc.layers}x{enc.hidden} {enc.cell}, {model.cfg.vector_dim}-dim vectors, "
          f"{params / 1e6:.2f} M parameters; {len(train_ex)} training and {len(dev_ex)} dev segments")
    adversary = None
    weight = cfg.model.autoencoder.speaker_adversary
    train_speakers = {e.utt.speaker for e in train_ex}
    if weight > 0:
        if len(train_speakers) < 2:
            raise UserError("model.speaker_adversary needs training segments of at least two speakers "
                            "(the manifests' speaker field)")
        adversary = SpeakerAdversary(model.cfg.vector_dim, sorted(train_speakers), weight)
        print(f"speaker adversary: {len(train_speakers)} speakers, reversed gradient x {weight:g}")
    task = EmbedderTask(model, features, masks, cfg.train, freq_warp=sa.freq_warp, adversary=adversary)
    task.unreadable = unreadable
    return Prepared(task, data, cfg.train, "val_ap_loss", features, None,
                    {"config": cfg.to_dict(), "train_segments": len(train_ex)},
                    lambda best: {"best_val_ap": 1 - best if best is not None else None}, unreadable)


def _partners(train_ex: list[Example], across_speakers: bool) -> list[list[int]]:
    """The cae's pairs (see partner_table), with a line saying how many segments have one."""
    partners = partner_table([normalize_text(e.utt.text) for e in train_ex], [e.utt.speaker for e in train_ex],
                             across_speakers)
    alone = sum(p == [i] for i, p in enumerate(partners))
    print(f"cae pairs: {len(train_ex) - alone} of {len(train_ex)} training segments have a partner "
          f"({alone} alone reconstruct themselves)")
    return partners


def _start_from(path: str) -> LoadedModel:
    return load_start(path, EMBEDDING_KINDS, "an autoencoder (sa, dsa, cae)")


def _load_weights(model: torch.nn.Module, start: torch.nn.Module, path: str) -> None:
    take_all(model, start, f"model.init_from: {path} has another size than this config (model.hidden, layers, "
                           "vector_dim, decoder_hidden must match)")
