"""CTC beam search with flashlight's decoder (torchaudio's `ctc_decoder`), with or without a lexicon,
fused with a KenLM n-gram file or with our own token language model (a step function).

Flashlight's scores are kept in natural-log units throughout: `lm_weight` multiplies ln P for every
language model (KenLM's log10 scores are converted), and `length_bonus` is added per output token.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from flashlight.lib.text.decoder.kenlm import KenLM
from flashlight.lib.text.dictionary import Dictionary
from torchaudio.models.decoder import CTCDecoderLM, CTCDecoderLMState, ctc_decoder

from asr.decoding.nbest import Scored, distinct_best, summed_by_labelling
from asr.text.tokenizer import SPACE, UNK

StepFn = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]
# A language model step: step(prev_tokens (N,) int64, state) -> (log_probs (N, V) of the next token, new state);
# the first call is step(tensor([sos]), None). States are None, a tensor or nested tuples of tensors with dim 0 = N.

WORD_START = "▁"  # SentencePiece marks a piece that starts a word with it
LN10 = math.log(10.0)
# "Impossible" as a finite log-prob: flashlight log-adds merged hypotheses, and -inf minus -inf would be nan.
NEG = -1e9


def write_lexicon(words: Iterable[str], spell: Callable[[str], list[str]], path: str | Path) -> Path:
    """A lexicon file in the format ctc_decoder reads, each word followed by its token spelling.

    One line per word: ``word tok1 tok2 ...`` (whitespace separated, so neither words nor tokens may
    contain spaces). `spell` gives a word's tokens as symbol strings: ``list(word)`` for characters
    (CTCBeamSearch adds the "|" word end itself), SentencePiece pieces, or ``[word]`` for words.
    Repeated words keep their first spelling.
    """
    path, seen, lines = Path(path), set(), []
    for word in words:
        if word in seen:
            continue
        seen.add(word)
        tokens = list(spell(word))
        if not word or word.split() != [word] or not tokens or any(t.split() != [t] for t in tokens):
            raise ValueError(f"cannot write lexicon entry {word!r} -> {tokens}: empty or contains whitespace")
        lines.append(" ".join([word, *tokens]) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _read_lexicon(path: str | Path, symbols: Sequence[str]) -> dict[str, list[list[str]]]:
    """Word -> its spellings, in file order; every token must be a symbol (flashlight would only abort)."""
    known, entries = set(symbols), {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        word, *spelling = line.split()
        unknown = [t for t in spelling if t not in known]
        if not spelling or unknown:
            raise ValueError(f"{path}:{number}: {word!r} has no spelling or unknown tokens {unknown}")
        entries.setdefault(word, []).append(spelling)
    if not entries:
        raise ValueError(f"lexicon {path} has no words")
    return entries


class _FusionLM(CTCDecoderLM):
    """Flashlight LM scoring `weight * ln P + bonus * tokens` per unit (a token, or a word with a lexicon).

    Flashlight merges (log-adds) hypotheses whose LM states are the same object, so, as in its own
    LMs, states are nodes of a tree of unit histories: only paths of one labelling are summed.
    Subclasses supply the model through contexts (`_begin`, `_next`, `_end`) kept per state, and
    a log-prob of None forbids the unit; this base is "no language model", for the length bonus alone.
    """

    def __init__(self, weight: float = 0.0, bonus: float = 0.0, unit_lengths: Sequence[int] | None = None):
        CTCDecoderLM.__init__(self)
        self.weight, self.bonus, self.unit_lengths = weight, bonus, unit_lengths
        self._states: dict[CTCDecoderLMState, tuple[Any, float]] = {}  # state -> (model context, its score)

    def start(self, start_with_nothing: bool) -> CTCDecoderLMState:
        root = CTCDecoderLMState()
        self._states = {root: (self._begin(), 0.0)}  # a new utterance: forget the previous one's states
        return root

    def score(self, state: CTCDecoderLMState, unit: int) -> tuple[CTCDecoderLMState, float]:
        child = state.child(unit)
        known = self._states.get(child)
        if known is None:  # each (history, unit) is scored once per utterance
            context, log_prob = self._next(self._states[state][0], unit)
            tokens = 1 if self.unit_lengths is None else self.unit_lengths[unit]
            score = NEG if log_prob is None else self.weight * log_prob + self.bonus * tokens
            known = self._states[child] = (context, score)
        return child, known[1]

    def finish(self, state: CTCDecoderLMState) -> tuple[CTCDecoderLMState, float]:
        log_prob = self._end(self._states[state][0])
        return state.child(-1), NEG if log_prob is None else self.weight * log_prob

    def _begin(self) -> Any:
        return None

    def _next(self, context: Any, unit: int) -> tuple[Any, float | None]:
        return None, 0.0

    def _end(self, context: Any) -> float | None:
        return 0.0


class _KenLMFusion(_FusionLM):
    """A KenLM file (ARPA or binary) over `units` (the symbols, or the lexicon's words), in natural log,
    with a length bonus per token, which flashlight's own KenLM search lacks."""

    def __init__(self, path: str | Path, units: Sequence[str], weight: float, bonus: float,
                 unit_lengths: Sequence[int] | None = None):
        super().__init__(weight, bonus, unit_lengths)
        self._kenlm = KenLM(str(path), Dictionary(list(units)))  # unit i -> the n-gram word units[i]

    def _begin(self) -> Any:
        return self._kenlm.start(False)  # after <s>

    def _next(self, context: Any, unit: int) -> tuple[Any, float]:
        context, log10_prob = self._kenlm.score(context, unit)
        return context, log10_prob * LN10

    def _end(self, context: Any) -> float:
        return self._kenlm.finish(context)[1] * LN10  # </s>


class StepFnLM(_FusionLM):
    """Our token LM as a flashlight LM: contexts are nodes of a tree of token histories, and each node's
    next-token log-probs come from one `step` call, made the first time a hypothesis extends that node
    (most scored candidates are pruned and never cost a call). `eos` starts and ends every sentence.

    Flashlight's units are tokens, or words in its lexicon search (characters: `spellings[w]` gives
    the letter ids of word w); a word then costs its spelling's log-probs, preceded by `separator`
    ("|") when it is not the first word: exactly the token sequence the tokenizer would give.
    """

    def __init__(self, step: StepFn, eos: int, weight: float = 1.0, bonus: float = 0.0,
                 spellings: Sequence[Sequence[int]] | None = None, separator: int | None = None,
                 unit_lengths: Sequence[int] | None = None):
        super().__init__(weight, bonus, unit_lengths)
        self.step, self.eos, self.spellings, self.separator = step, eos, spellings, separator

    def _begin(self) -> CTCDecoderLMState:
        self._root = CTCDecoderLMState()
        self._pending = {self._root: (self.eos, None)}  # node -> (token that leads to it, LM state before it)
        self._cache: dict[CTCDecoderLMState, tuple[list[float], Any]] = {}  # node -> (next log-probs (V,), LM state)
        return self._root

    def _log_probs(self, node: CTCDecoderLMState) -> tuple[list[float], Any]:
        cached = self._cache.get(node)
        if cached is None:
            token, state = self._pending.pop(node)
            with torch.no_grad():
                log_probs, state = self.step(torch.tensor([token]), state)  # (1, V)
            cached = self._cache[node] = (log_probs[0].float().tolist(), state)  # a list indexes fastest
        return cached

    def _advance(self, node: CTCDecoderLMState, token: int) -> tuple[CTCDecoderLMState, float]:
        log_probs, state = self._log_probs(node)
        child = node.child(token)
        if child not in self._cache and child not in self._pending:
            self._pending[child] = (token, state)
        return child, log_probs[token]

    def _next(self, context: CTCDecoderLMState, unit: int) -> tuple[CTCDecoderLMState, float]:
        if self.spellings is None:
            return self._advance(context, unit)
        tokens = list(self.spellings[unit])
        if tokens and self.separator is not None and context is not self._root:
            tokens.insert(0, self.separator)
        total = 0.0
        for token in tokens:
            context, log_prob = self._advance(context, token)
            total += log_prob
        return context, total

    def _end(self, context: CTCDecoderLMState) -> float:
        return self._log_probs(context)[0][self.eos]


class _PieceLexicon(_FusionLM):
    """A lexicon of subword spellings enforced through flashlight's lexicon-free search: a piece that
    leaves the lexicon is forbidden. (Flashlight's lexicon search repeats only its "silence" at a
    word's end, so a word's last piece could not be held over frames: pieces have no separator.)

    A word ends where the next word-start piece ("▁...") or the sentence end comes. `inner` scores
    tokens, or with `by_word` the lexicon's words (a KenLM over words) as each one ends.
    """

    def __init__(self, spellings: Sequence[Sequence[Sequence[int]]], starts: set[int], weight: float,
                 bonus: float, inner: _FusionLM | None = None, by_word: bool = False):
        super().__init__(weight, bonus)
        self._root: dict[int, dict] = {}  # trie: token -> node; key -1 holds the word a node ends
        for word, word_spellings in enumerate(spellings):
            for spelling in word_spellings:
                node = self._root
                for token in spelling:
                    node = node.setdefault(token, {})
                node[-1] = word
        self._starts, self._inner, self._by_word = starts, inner, by_word

    def _begin(self) -> tuple[dict, Any]:
        return self._root, None if self._inner is None else self._inner._begin()

    def _next(self, context: tuple[dict, Any], token: int) -> tuple[Any, float | None]:
        node, inner = context
        log_prob = 0.0
        if token in self._starts and node is not self._root:  # the word so far must end here
            if -1 not in node:
                return context, None
            if self._by_word:
                inner, log_prob = self._inner._next(inner, node[-1])
            node = self._root
        if token not in node:
            return context, None
        if self._inner is not None and not self._by_word:
            inner, token_log_prob = self._inner._next(inner, token)
            log_prob += token_log_prob
        return (node[token], inner), log_prob

    def _end(self, context: tuple[dict, Any]) -> float | None:
        node, inner = context
        if node is not self._root and -1 not in node:
            return None
        log_prob = 0.0
        if self._by_word and node is not self._root:
            inner, log_prob = self._inner._next(inner, node[-1])
        return log_prob + (0.0 if self._inner is None else self._inner._end(inner))


class CTCBeamSearch:
    """CTC prefix beam search (paths of one labelling are summed) through flashlight.

    symbols      : every output symbol in id order (flashlight's token index is our id)
    blank, eos   : ids of the CTC blank and of "<sos/eos>" (needed with `lm`: it starts and ends sentences)
    lexicon      : file of `word token...` lines restricting the output to those words
    kenlm        : KenLM ARPA or binary file; its words are the symbols, or the lexicon's words with one
    lm           : our token LM as a step function (only one of kenlm / lm)
    lm_weight    : weight of the LM's natural-log probability; length_bonus: added per output token
    nbest        : hypotheses `nbest_lists` returns per utterance (at most `beam`)

    Flashlight's "silence" token starts and ends every path, is not scored by the LM when it is the
    first frame's token, and in its lexicon search is the one token that may end a word and repeat.
    Characters with a lexicon use that search, and "|" (each spelling ends with it); otherwise it is
    the blank, the one token that is never an output that this would swallow. Word and subword
    tables have no separator: their lexicons are enforced in the lexicon-free search instead.
    """

    def __init__(self, symbols: Sequence[str], *, blank: int = 0, eos: int | None = None, beam: int = 10,
                 lexicon: str | Path | None = None, kenlm: str | Path | None = None,
                 lm: StepFn | None = None, lm_weight: float = 0.0, length_bonus: float = 0.0, nbest: int = 1):
        symbols = list(symbols)
        if len(set(symbols)) != len(symbols):
            raise ValueError("symbols must be distinct: flashlight maps each string to one id")
        if kenlm is not None and lm is not None:
            raise ValueError("give a KenLM file or a step-function LM, not both")
        if lm is not None and eos is None:
            raise ValueError("a step-function LM needs the eos id to start and end sentences")
        if beam < 1:
            raise ValueError(f"beam must be at least 1, not {beam}")
        if not 1 <= nbest <= beam:
            raise ValueError(f"nbest must be between 1 and the beam ({beam}), not {nbest}")
        self.symbols, self.blank, self.nbest = symbols, blank, nbest
        self.separator = symbols.index(SPACE) if SPACE in symbols else None
        self._mask: torch.Tensor | None = None  # (V,) tokens a one-token-per-word lexicon forbids
        self._end_word = False  # append a separator frame so that the last word can end
        self._pieces: tuple[list, set[int]] | None = None  # a subword lexicon: spellings (ids), word starts
        self._lexicon = lexicon is not None
        with tempfile.TemporaryDirectory() as tmp:
            lexicon_file, units, unit_lengths, spellings = None, symbols, None, None
            if lexicon is not None:
                # Flashlight's lexicon search can hold a word's last token over frames only if it is
                # the "silence", so only characters (words end with "|") go through it.
                entries = _read_lexicon(lexicon, symbols)
                if self.separator is not None:
                    lexicon_file, units, unit_lengths, spellings = self._write_lexicon(entries, tmp)
                    self._end_word = True
                elif all(len(s) == 1 for ss in entries.values() for s in ss):
                    # one token per word: the lexicon is a set of allowed tokens, the rest are masked
                    self._mask = torch.ones(len(symbols), dtype=torch.bool)
                    self._mask[[symbols.index(ss[0][0]) for ss in entries.values()] + [blank]] = False
                else:
                    units, self._pieces = list(entries), self._piece_spellings(entries)
            # Flashlight's LM unit i is units[i], our symbol or word order (torchaudio's own word list
            # for a KenLM without a lexicon is in hash order, so that its n-gram words are not our ids).
            lm_dict = Path(tmp) / "units.txt"
            lm_dict.write_text("".join(u + "\n" for u in units), encoding="utf-8")
            # Silence is the character separator with a lexicon (words end at it), else the blank.
            silence = self.separator if self._end_word else blank
            try:
                fusion = self._fusion(units, unit_lengths, spellings, eos, kenlm, lm, lm_weight, length_bonus)
                # Built once: ctc_decoder reads the lexicon and builds its trie here (scoring each word once).
                self._decoder = ctc_decoder(
                    # the whole final beam for N-best lists: one labelling can end on several of its paths
                    lexicon_file, symbols, lm=fusion, lm_dict=str(lm_dict), nbest=1 if nbest == 1 else beam,
                    beam_size=beam,
                    lm_weight=lm_weight * LN10 if isinstance(fusion, str) else 1.0,  # KenLM scores log10
                    log_add=True, blank_token=symbols[blank], sil_token=symbols[silence], unk_word=UNK)
            except RuntimeError as err:  # KenLM's loader: not an ARPA file, a unigram-only model, ...
                reason = (str(err).strip().splitlines() or [type(err).__name__])[-1]
                raise ValueError(f"cannot load the language model {kenlm}: {reason[:200]}") from None

    def _write_lexicon(self, entries: dict[str, list[list[str]]], tmp: str):
        """A character lexicon file for ctc_decoder, its words (flashlight's word index), and per word
        its token count and LM spelling (ids)."""
        # Each spelling ends with "|": at a word's end flashlight can then repeat the separator frame
        # after frame, where the word's last letter could not be held.
        entries = {w: [s if s[-1] == SPACE else [*s, SPACE] for s in ss] for w, ss in entries.items()}
        lexicon_file = Path(tmp) / "lexicon.txt"
        lexicon_file.write_text("".join(f"{w} {' '.join(s)}\n" for w, ss in entries.items() for s in ss),
                                encoding="utf-8")
        units = list(entries) + ([UNK] if UNK not in entries else [])  # flashlight adds <unk> to every lexicon
        index = {s: i for i, s in enumerate(self.symbols)}
        spellings = [[index[t] for t in entries[w][0] if t != SPACE] if w in entries else [] for w in units]
        unit_lengths = [len(entries[w][0]) if w in entries else 0 for w in units]
        return str(lexicon_file), units, unit_lengths, spellings

    def _piece_spellings(self, entries: dict[str, list[list[str]]]) -> tuple[list, set[int]]:
        """Spellings as ids per word, and the word-start pieces, checked: one at each word's start."""
        starts = {i for i, s in enumerate(self.symbols) if s.startswith(WORD_START)}
        index = {s: i for i, s in enumerate(self.symbols)}
        spellings = [[[index[t] for t in s] for s in ss] for ss in entries.values()]
        bad = [w for w, ss in zip(entries, spellings) for s in ss if s[0] not in starts or starts & set(s[1:])]
        if bad:
            raise ValueError(f"subword spellings must have one {WORD_START!r} piece, the first: {bad[:5]}")
        return spellings, starts

    def _fusion(self, units, unit_lengths, spellings, eos, kenlm, lm, lm_weight, length_bonus
                ) -> CTCDecoderLM | str | None:
        """ctc_decoder's LM: a KenLM path (flashlight scores it natively, 25 times faster than a call
        into Python per candidate), our LM object, or None for flashlight's ZeroLM."""
        if self._pieces is not None:  # the lexicon is an LM too; a KenLM scores its words
            inner = None
            if kenlm is not None and lm_weight != 0:
                inner = _KenLMFusion(kenlm, units, 1.0, 0.0)
            elif lm is not None and lm_weight != 0:
                inner = StepFnLM(lm, eos)
            return _PieceLexicon(*self._pieces, lm_weight, length_bonus, inner, isinstance(inner, _KenLMFusion))
        if kenlm is not None and lm_weight != 0:
            if length_bonus == 0:
                return str(kenlm)
            return _KenLMFusion(kenlm, units, lm_weight, length_bonus, unit_lengths)
        if lm is not None and lm_weight != 0:
            return StepFnLM(lm, eos, lm_weight, length_bonus, spellings, self.separator, unit_lengths)
        return _FusionLM(0.0, length_bonus, unit_lengths) if length_bonus != 0 else None

    def __call__(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        """log_probs (B, T, V), lengths (B,) -> best token ids per utterance (no blanks)."""
        return [hyps[0].ids if hyps else [] for hyps in self.nbest_lists(log_probs, lengths)]

    def nbest_lists(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[Scored]]:
        """log_probs (B, T, V), lengths (B,) -> per utterance its `nbest` best labellings, best first, with
        flashlight's scores (acoustic, LM and bonus). With nbest above 1 the final beam's entries of one
        labelling are summed (its probability as far as the beam kept its paths), so its first can differ
        from the 1-best search's, which takes flashlight's best entry."""
        # Flashlight reads raw float32 memory; -inf would make nan when hypotheses are log-added.
        emissions = log_probs.detach().to("cpu", torch.float32).clamp(min=NEG)
        lengths = lengths.detach().to("cpu", torch.int64)
        if self._mask is not None:
            emissions = emissions.masked_fill(self._mask, NEG)
        flash_lengths = lengths
        if self._end_word:
            emissions, flash_lengths = self._append_separator(emissions, lengths)
        results = []
        for hyps, n in zip(self._decoder(emissions.contiguous(), flash_lengths), lengths.tolist()):
            # With a lexicon, when every path that ends a word was pruned flashlight returns its best
            # unfinished one at a forbidden score; nothing in the lexicon fits, so the answer is empty.
            hyps = [h for h in hyps if not (self._lexicon and h.score <= NEG / 2)]
            # Timesteps count flashlight's path: 0 is its sentence-start silence, frame t is t + 1,
            # then come our separator frame and its sentence end: keep the real frames only.
            found = [Scored(h.tokens[(h.timesteps >= 1) & (h.timesteps <= n)].tolist(), float(h.score)) for h in hyps]
            results.append(distinct_best(summed_by_labelling(found), self.nbest))
        return results

    def _append_separator(self, emissions: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, V) -> (B, T + 1, V) with a certain "|" right after each row's last frame, so that a
        final word whose "|" the model never emits still ends (flashlight otherwise prefers hypotheses
        that ended a word, however badly)."""
        batch, frames, vocab = emissions.shape
        padded = torch.full((batch, frames + 1, vocab), NEG)
        padded[:, :frames] = emissions
        padded[torch.arange(batch), lengths] = NEG
        padded[torch.arange(batch), lengths, self.separator] = 0.0
        return padded, lengths + 1
