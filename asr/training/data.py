"""Training data: manifests -> length-bucketed batches of padded waveforms and token ids, and the
normalisation statistics measured on them."""

from __future__ import annotations

import dataclasses

import math
import random
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from asr.data.audio import load_audio
from asr.data.manifest import Utterance, describe_lost, read_manifest, split_lost
from asr.errors import UserError
from asr.features.batching import length_batches
from asr.features.cmvn import CMVNStats, accumulate_stats
from asr.features.pipeline import FeaturePipeline
from asr.text.normalize import NORMALISER_KEEPS, dropped_letters, normalize_text
from asr.text.tokenizer import PAD_ID, AnyTokenizer
from asr.training.augmentation import WaveAugmentation


class Batch(NamedTuple):
    waves: torch.Tensor  # (B, S) float32, zero-padded
    wave_lens: torch.Tensor  # (B,) int64
    targets: torch.Tensor  # (B, L) int64, padded with PAD_ID (-1), which every loss ignores
    target_lens: torch.Tensor  # (B,) int64
    ids: list[str]
    texts: list[str]  # normalised transcripts, for scoring
    unreadable: tuple[str, ...] = ()  # why each item left out of the batch could not be read


class Unreadable(NamedTuple):
    """What a dataset returns for an item whose audio cannot be read: training goes on without it."""

    reason: str  # one line naming the file


def report_unreadable(reason: str, seen: set[str]) -> None:
    """One line on stderr the first time a file cannot be read; `seen` collects them for the summary."""
    if reason not in seen:
        seen.add(reason)
        print(f"asr: error: {reason}; left out of training", file=sys.stderr, flush=True)


def split_unreadable(items: Sequence) -> tuple[list, tuple[str, ...]]:
    """(the readable items, the reasons of the unreadable ones) of a batch's items."""
    return [i for i in items if not isinstance(i, Unreadable)], tuple(i.reason for i in items if isinstance(i, Unreadable))


@dataclass
class Example:
    utt: Utterance
    tokens: list[int]


@dataclass
class FilterCounts:
    kept: int = 0
    too_long: int = 0  # audio longer than data.max_duration
    label_too_long: int = 0  # more tokens than encoder output frames: CTC cannot align them
    empty_label: int = 0
    unwritable: int = 0  # kept, but with characters or words the tokenizer reads as <unk> or drops
    unwritable_example: str = ""

    def summary(self, name: str) -> str:
        line = (f"{name}: {self.kept} utterances kept; skipped {self.too_long} longer than the duration limit, "
                f"{self.label_too_long} with more tokens than output frames, {self.empty_label} with no tokens")
        if self.unwritable:
            line += (f"; {self.unwritable} kept with characters or words the tokenizer cannot write, read as <unk> "
                     f"or dropped (e.g. {self.unwritable_example})")
        return line


def make_examples(utterances: Sequence[Utterance], tokenizer: AnyTokenizer, output_frames=None, *,
                  max_duration: float = math.inf) -> tuple[list[Example], FilterCounts]:
    """Tokenise utterances and drop those the model cannot learn from, counting each reason.

    output_frames: callable, duration in seconds -> encoder output frames, for models with a CTC loss
    (which needs a frame per token); None when no such limit applies.
    """
    counts = FilterCounts()
    examples = []
    for utt in utterances:
        tokens = tokenizer.encode(utt.text)
        if utt.duration > max_duration:
            counts.too_long += 1
        elif not tokens:
            counts.empty_label += 1
        elif output_frames is not None and len(tokens) > output_frames(utt.duration):
            counts.label_too_long += 1
        else:
            examples.append(Example(utt, tokens))
            counts.kept += 1
            if _loses_text(utt.text, tokens, tokenizer):
                counts.unwritable += 1
                counts.unwritable_example = counts.unwritable_example or f"{utt.id}: {utt.text[:60]!r}"
    return examples, counts


def _loses_text(text: str, tokens: list[int], tokenizer: AnyTokenizer) -> bool:
    """Whether the tokens do not spell the transcript: a letter normalisation cannot keep (as in
    '中'; accents are kept as their base letter), or a character or word outside the vocabulary."""
    return dropped_letters(text)[0] > 0 or tokenizer.decode(tokens) != normalize_text(text)


ItemKey = int | tuple[int, int]  # an index, or (epoch, index) from a sampler made with keys=True


def item_random(key: ItemKey, seed: int) -> tuple[int, random.Random]:
    """(index, a generator of its own) for one read: the draws of a read depend on the seed, the epoch
    and the item only, not on what was read before, so a run resumed mid-epoch (or a loader that
    reads ahead) augments every item exactly as an uninterrupted run does."""
    epoch, index = key if isinstance(key, tuple) else (0, key)
    return index, random.Random(f"{seed}:{epoch}:{index}")


class SpeechDataset(Dataset):
    """Reads one utterance's audio on demand; returns (wave (S,), tokens (L,), id, normalised text).

    With `augment`, each read is changed as it says (speed, room, noise), with draws of its own (training only).
    With `cache_audio`, each file is decoded once and kept in memory as float16 (2 bytes a
    sample: 1.6 GB for the mini recipe's 14 hours), so later epochs skip decoding, which is
    about a tenth of a small model's training step on 2 cores. Augmentation still happens
    on every read. Each loader worker process keeps its own copy, so use it with few workers.
    """

    def __init__(self, examples: Sequence[Example], sample_rate: int, augment: WaveAugmentation | None = None,
                 cache_audio: bool = False, seed: int = 0):
        self.examples = list(examples)
        self.sample_rate = sample_rate
        self.augment = augment
        self.seed = seed
        self._cache: dict[int, torch.Tensor] | None = {} if cache_audio else None

    def __len__(self) -> int:
        return len(self.examples)

    def _wave(self, index: int) -> torch.Tensor:
        utt = self.examples[index].utt
        if self._cache is None:
            return load_audio(utt.audio, self.sample_rate, utt.start, utt.end)
        if index not in self._cache:
            self._cache[index] = load_audio(utt.audio, self.sample_rate, utt.start, utt.end).half()
        return self._cache[index].float()

    def __getitem__(self, key: ItemKey) -> tuple | Unreadable:
        """The item, or Unreadable when its audio cannot be read (a damaged file the header check passed)."""
        try:
            return self._item(key)
        except UserError as err:
            return Unreadable(str(err))

    def _item(self, key: ItemKey) -> tuple[torch.Tensor, torch.Tensor, str, str]:
        index, rng = item_random(key, self.seed)
        ex = self.examples[index]
        wave = self._wave(index)
        if self.augment is not None:
            wave = self.augment(wave, rng)
        return wave, torch.tensor(ex.tokens, dtype=torch.long), ex.utt.id, normalize_text(ex.utt.text)


def collate(items: list[tuple[torch.Tensor, torch.Tensor, str, str] | Unreadable]) -> Batch:
    items, unreadable = split_unreadable(items)
    if not items:
        empty = torch.zeros(0, 0)
        return Batch(empty, torch.zeros(0, dtype=torch.long), empty.long(), torch.zeros(0, dtype=torch.long), [], [],
                     unreadable)
    waves, tokens, ids, texts = zip(*items)
    wave_lens = torch.tensor([len(w) for w in waves])
    target_lens = torch.tensor([len(t) for t in tokens])
    return Batch(
        torch.nn.utils.rnn.pad_sequence(list(waves), batch_first=True),
        wave_lens,
        torch.nn.utils.rnn.pad_sequence(list(tokens), batch_first=True, padding_value=PAD_ID),
        target_lens,
        list(ids),
        list(texts),
        unreadable,
    )


class LengthBucketSampler(Sampler[list[int]]):
    """Batches of similar duration, each within a budget of padded seconds.

    Sorting by length keeps padding (wasted computation) small. The partition into batches is
    made once, so every epoch has the same number of batches (Lightning counts them once, and
    an epoch with fewer would end before its validation); for training, the order of the
    batches is shuffled each epoch, seeded by the epoch, so any run is reproducible.

    With several ranks (data-parallel processes), every rank shuffles the same way and takes
    every `num_replicas`-th batch from its own offset: disjoint shares of the same size (the last
    few batches of the partition, which would leave a rank without one, wait for the next epoch).
    """

    def __init__(self, durations: Sequence[float], max_seconds: float, max_size: int,
                 shuffle: bool, seed: int = 0, keys: bool = False, rank: int = 0, num_replicas: int = 1):
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} is not one of {num_replicas} replicas")
        self.shuffle = shuffle
        self.seed = seed
        self.keys = keys  # yield (epoch, index) keys (see `item_random`) instead of indices
        self.rank, self.num_replicas = rank, num_replicas
        self.epoch = 0
        self._skip = 0
        self.batches = length_batches(list(durations), max_seconds, max_size)
        self.padding_share = self._padding_share(list(durations), self.batches)

    @staticmethod
    def _padding_share(durations: list[float], batches: list[list[int]]) -> float:
        """The share of padded audio that is padding: 1 - real seconds / (batch size x longest), summed."""
        padded = sum(len(b) * max(durations[i] for i in b) for b in batches)
        return 1 - sum(durations) / padded if padded > 0 else 0.0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def resume(self, epoch: int, batches_done: int) -> None:
        """The next iteration is epoch `epoch` without its first `batches_done` batches (a resumed run)."""
        self.epoch, self._skip = epoch, batches_done

    def __iter__(self) -> Iterator[list[ItemKey]]:
        batches = list(self.batches)
        if self.shuffle:
            random.Random(self.seed * 100003 + self.epoch).shuffle(batches)
        batches = batches[self.rank:len(self) * self.num_replicas:self.num_replicas]
        if self.keys:
            batches = [[(self.epoch, i) for i in batch] for batch in batches]
        batches, self._skip = batches[self._skip:], 0
        self.epoch += 1  # a new order next time even when nobody calls set_epoch
        return iter(batches)

    def __len__(self) -> int:
        return len(self.batches) // self.num_replicas


class ResumableDataModule(L.LightningDataModule):
    """Train and dev loaders whose checkpointed state resumes a run exactly where it stopped.

    A checkpoint records the epoch, the batches of it already trained on, and the state of the
    global random generators (dropout, SpecAugment, frequency warps draw from them); loading it
    restores the generators and starts the training sampler at the next batch. Items draw their
    augmentation from generators of their own (`item_random`) and loaders shuffle with their own
    generator, so reading ahead or building a loader never moves the global ones.
    """

    def __init__(self, train_set: Dataset, dev_set: Dataset, collate_fn, *, max_batch_seconds: float,
                 max_batch_size: int, num_workers: int = 0, seed: int = 0):
        super().__init__()
        self.train_set, self.dev_set, self.collate_fn = train_set, dev_set, collate_fn
        self.batching = {"max_seconds": max_batch_seconds, "max_size": max_batch_size}
        self.num_workers = num_workers
        self.seed = seed
        self._resume: tuple[int, int] | None = None

    def _loader(self, dataset: Dataset, shuffle: bool) -> DataLoader:
        """Training batches are shared out among the ranks; every rank validates on the whole dev set."""
        durations = [ex.utt.duration for ex in dataset.examples]
        ranks = {"rank": self.trainer.global_rank, "num_replicas": self.trainer.world_size} \
            if shuffle and self.trainer is not None else {}
        sampler = LengthBucketSampler(durations, shuffle=shuffle, seed=self.seed, keys=True, **self.batching, **ranks)
        if shuffle and len(sampler) == 0:
            raise UserError(f"{len(sampler.batches)} training batch(es) cannot be shared among {sampler.num_replicas} "
                            "ranks: lower data.max_batch_seconds or data.max_batch_size, or use fewer devices")
        if shuffle and (self.trainer is None or self.trainer.global_rank == 0):
            print(f"training batches: {len(sampler.batches)} an epoch ({len(sampler)} for each of "
                  f"{sampler.num_replicas} ranks), {100 * sampler.padding_share:.1f}% of their audio is padding")
        if shuffle and self._resume is not None:
            epoch, done = self._resume
            sampler.resume(*((epoch + 1, 0) if done >= len(sampler) else (epoch, done)))
            self._resume = None
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=self.collate_fn, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0, generator=torch.Generator().manual_seed(self.seed),
                          worker_init_fn=_leave_stop_signals_to_the_trainer)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.dev_set, shuffle=False)

    def state_dict(self) -> dict:
        """Called on every rank when a checkpoint is saved (rank 0 writes it): each rank's generators go in."""
        if self.trainer is None:
            return {}
        loop = self.trainer.fit_loop
        mine = {"torch_rng": torch.get_rng_state(), "python_rng": random.getstate(),
                "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []}
        ranks = [mine]
        if self.trainer.world_size > 1:  # dropout differs between ranks: each resumes with its own draws
            ranks = [None] * self.trainer.world_size
            torch.distributed.all_gather_object(ranks, mine)
        # current_epoch counts finished epochs; a checkpoint at an epoch's end has all its batches done
        return {"epoch": self.trainer.current_epoch,
                "batches_done": loop.epoch_loop.batch_progress.current.processed, "ranks": ranks}

    def load_state_dict(self, state: dict) -> None:
        if not state:
            return
        self._resume = (int(state["epoch"]), int(state["batches_done"]))
        ranks = state.get("ranks") or [state]  # checkpoints before per-rank states held rank 0's alone
        rank = self.trainer.global_rank if self.trainer is not None else 0
        mine = ranks[rank] if rank < len(ranks) else ranks[0]  # resumed on more processes: a best effort
        torch.set_rng_state(mine["torch_rng"])
        random.setstate(mine["python_rng"])
        if mine.get("cuda_rng") and torch.cuda.is_available() and len(mine["cuda_rng"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(mine["cuda_rng"])


class SpeechDataModule(ResumableDataModule):
    """Train and dev loaders over already tokenised, filtered examples."""

    def __init__(self, train: Sequence[Example], dev: Sequence[Example], *, sample_rate: int,
                 max_batch_seconds: float, max_batch_size: int, num_workers: int = 0, seed: int = 0,
                 augment: WaveAugmentation | None = None, cache_audio: bool = False):
        super().__init__(SpeechDataset(train, sample_rate, augment, cache_audio, seed),
                         SpeechDataset(dev, sample_rate), collate, max_batch_seconds=max_batch_seconds,
                         max_batch_size=max_batch_size, num_workers=num_workers, seed=seed)


def read_utterances(path: str, what: str, max_duration: float | None = None) -> list[Utterance]:
    """The utterances of the `what` ("train", "dev") manifest; with `max_duration`, those no longer."""
    if not path:
        raise UserError(f"no {what} manifest: set data.{what} in the config or pass --data.{what} PATH")
    if not Path(path).is_file():
        raise UserError(f"{what} manifest not found: {path}")
    utterances = read_manifest(path)
    if max_duration is not None:
        utterances = [u for u in utterances if u.duration <= max_duration]
    if not utterances:
        raise UserError(f"{what} manifest is empty: {path}" if max_duration is None
                        else f"{what} manifest has nothing of at most data.max_duration={max_duration} s: {path}")
    return utterances


def _leave_stop_signals_to_the_trainer(worker_id: int) -> None:
    """A loader worker ignores Ctrl-C and SIGTERM (a terminal or a scheduler signals every process of a job):
    the training process checkpoints and stops its workers itself (`asr.training.interruption`); a worker that
    died first would end training in a 'worker exited unexpectedly' traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def read_transcribed(path: str, what: str) -> list[Utterance]:
    """The utterances of the `what` ("train", "dev") manifest whose transcript survives normalisation; the others
    are counted and named in one line and left out: an empty target teaches CTC nothing, and "the 中文中文"
    taught as "the" teaches it wrong.

    Raises:
        UserError: the manifest is missing or empty, or none of its transcripts survives normalisation.
    """
    kept, lost = split_lost(read_utterances(path, what))
    if not kept:
        raise UserError(f"{what} manifest has nothing to learn from: every transcript normalises to nothing or "
                        f"loses most of its letters ({NORMALISER_KEEPS}): {path}")
    if lost:
        print(f"{what}: left out of training: {describe_lost(lost)}", flush=True)
    return kept


def measure_cmvn(features: FeaturePipeline, utterances: list[Utterance], count: int, seed: int,
                 unreadable: set[str] | None = None) -> FeaturePipeline:
    """Global mean and standard deviation of the frontend's output over a sample of training audio;
    files that cannot be read are reported (into `unreadable`) and left out.

    A running normalisation needs two: the mean of the plain frontend output (its prior, from the
    first `RUNNING_PRIOR_UTTERANCES` of the sample), then the deviation of what it gives."""
    sample = random.Random(seed).sample(utterances, min(count, len(utterances)))
    unreadable = set() if unreadable is None else unreadable
    cfg = features.cfg
    prior = None
    if cfg.normalize == "running":
        plain = FeaturePipeline(dataclasses.replace(cfg, normalize="global"))
        prior = _stats(plain, sample[:RUNNING_PRIOR_UTTERANCES], unreadable).mean
    unnormalised = FeaturePipeline(cfg, prior)  # std 1: the frontend (and mean removal)
    stats = _stats(unnormalised, sample, unreadable)
    return FeaturePipeline(cfg, stats.mean if prior is None else prior, stats.std)


RUNNING_PRIOR_UTTERANCES = 100  # a mean, which needs far fewer than the deviation


def _stats(pipeline: FeaturePipeline, sample: list[Utterance], unreadable: set[str]) -> CMVNStats:
    def frames():
        for utt in sample:
            try:
                wave = load_audio(utt.audio, pipeline.cfg.sample_rate, utt.start, utt.end)
            except UserError as err:
                report_unreadable(str(err), unreadable)
                continue
            feats, _ = pipeline(wave.unsqueeze(0), torch.tensor([len(wave)]))
            yield feats[0]

    with torch.no_grad():
        return accumulate_stats(frames())
