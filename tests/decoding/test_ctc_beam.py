"""CTC beam search through flashlight, on hand-built log-probs whose best labelling is known."""

import math
from pathlib import Path

import pytest
import torch

from asr.decoding.ctc_beam import CTCBeamSearch, write_lexicon
from asr.decoding.ctc_greedy import ctc_greedy

CHAR = ["<blank>", "|", "a", "c", "d", "e", "g", "h", "o", "t", "u", "<sos/eos>"]
WORD = ["<blank>", "<unk>", "cat", "dog", "eleven", "hat", "seven", "the", "<sos/eos>"]
SUBWORD = ["<blank>", "<unk>", "▁", "▁c", "at", "▁d", "og", "s", "▁the", "<sos/eos>"]
EOS = -1  # every table ends with <sos/eos>, which the CTC head never emits


def ids(symbols: list[str], text: str) -> list[int]:
    return [symbols.index(s) for s in text.split()]


def frames(symbols: list[str], rows: list[dict[str, float]]) -> torch.Tensor:
    """(1, T, V) log-probs: frame t gives rows[t]'s probabilities ("_" is the blank); the rest of the
    mass is shared by the other symbols except <sos/eos>, which gets almost none."""
    probs = torch.zeros(len(rows), len(symbols), dtype=torch.float64)
    for t, row in enumerate(rows):
        named = {symbols.index("<blank>" if s == "_" else s): p for s, p in row.items()}
        others = [i for i in range(len(symbols) - 1) if i not in named]
        probs[t, others] = max(1.0 - sum(named.values()), 1e-6) / len(others)
        for i, p in named.items():
            probs[t, i] = p
    probs[:, EOS] = 1e-12
    return (probs / probs.sum(-1, keepdim=True)).log().float().unsqueeze(0)


def peaky(symbols: list[str], labels: str) -> torch.Tensor:
    """Each frame puts 0.9 on its label."""
    return frames(symbols, [{s: 0.9} for s in labels.split()])


def pad(rows: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(T_i, V) rows -> (B, T, V) with random padding, lengths (B,)."""
    lengths = torch.tensor([len(r) for r in rows])
    batch = torch.randn(len(rows), int(lengths.max()), rows[0].shape[-1]).log_softmax(-1)
    for b, row in enumerate(rows):
        batch[b, : len(row)] = row
    return batch, lengths


def decode(search: CTCBeamSearch, log_probs: torch.Tensor) -> list[int]:
    return search(log_probs, torch.tensor([log_probs.shape[1]]))[0]


def bigram_table(symbols: list[str], probs: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Full bigram P(next | prev): given rows, the rest of each row's mass shared evenly.
    Context "<s>" and next "</s>" are sentence start and end; blank and <sos/eos> are not words."""
    words = [s for s in symbols if s not in ("<blank>", "<sos/eos>")]
    table = {}
    for prev in ["<s>", *words]:
        row = dict(probs.get(prev, {}))
        others = [w for w in [*words, "</s>"] if w not in row]
        table[prev] = row | {w: (1.0 - sum(row.values())) / len(others) for w in others}
    return table


def write_arpa(table: dict[str, dict[str, float]], path: Path) -> Path:
    """The bigram as an ARPA file (log10, tab-separated fields). Every bigram is listed, so KenLM never backs off."""
    unigrams = ["<s>", *[w for w in table if w != "<s>"], "</s>"]
    bigrams = [f"{math.log10(p):.6f}\t{a} {b}" for a, row in table.items() for b, p in row.items()]
    lines = ["\\data\\", f"ngram 1={len(unigrams)}", f"ngram 2={len(bigrams)}", "", "\\1-grams:"]
    lines += [f"{-99 if w == '<s>' else math.log10(1 / len(unigrams)):.6f}\t{w}\t0" for w in unigrams]
    lines += ["", "\\2-grams:", *bigrams, "", "\\end\\", ""]
    path.write_text("\n".join(lines))
    return path


def bigram_step(symbols: list[str], table: dict[str, dict[str, float]], calls: list | None = None):
    """The same bigram as a StepFn; its state is the token history (N, L), recorded in `calls`."""
    name = {i: s for i, s in enumerate(symbols)} | {len(symbols) - 1: "<s>"}
    logp = torch.full((len(symbols), len(symbols)), -30.0)
    for i, prev in name.items():
        for j, nxt in enumerate(symbols):
            key = "</s>" if j == len(symbols) - 1 else nxt
            if prev in table and key in table[prev]:
                logp[i, j] = math.log(table[prev][key])

    def step(prev: torch.Tensor, state):
        history = prev[:, None] if state is None else torch.cat([state, prev[:, None]], 1)
        if calls is not None:
            calls.append(tuple(history[0].tolist()))
        return logp[prev], history
    return step


def test_merges_repeats_and_drops_blanks():
    search = CTCBeamSearch(CHAR, eos=len(CHAR) - 1)
    assert decode(search, peaky(CHAR, "c c _ c a a _ _ t")) == ids(CHAR, "c c a t")


@pytest.mark.parametrize("symbols", [CHAR, WORD, SUBWORD], ids=["char", "word", "subword"])
def test_equals_greedy_on_peaky_input(symbols):
    torch.manual_seed(0)
    search = CTCBeamSearch(symbols, eos=len(symbols) - 1, beam=4)
    labels = [" ".join(symbols[i] for i in torch.randint(0, len(symbols) - 1, (n,))) for n in range(1, 13)]
    labels += [" ".join(symbols[1:-1]), symbols[2]]  # every token; one frame; tokens at both ends
    log_probs, lengths = pad([peaky(symbols, x)[0] for x in labels])
    assert search(log_probs, lengths) == ctc_greedy(log_probs, lengths)


def test_sums_paths_of_one_labelling():
    # best path "_ _" (0.36) loses to "a" = "a a" + "a _" + "_ a" (0.16 + 0.24 + 0.24)
    log_probs = frames(CHAR, [{"_": 0.6, "a": 0.4}] * 2)
    assert ctc_greedy(log_probs, torch.tensor([2])) == [[]]
    assert decode(CTCBeamSearch(CHAR), log_probs) == ids(CHAR, "a")


@pytest.mark.parametrize("with_kenlm", [False, True])
def test_merges_only_paths_of_one_labelling(tmp_path, with_kenlm):
    # "d" = "d d" + "_ d" (0.16 + 0.12) beats greedy "d e" (0.24); hypotheses "a e", "e" and "d e"
    # end alike (0.6 in all, and in one bigram context) but are different labellings: not summed
    log_probs = frames(CHAR, [{"a": 0.3, "_": 0.3, "d": 0.4}, {"e": 0.6, "d": 0.4}])
    assert ctc_greedy(log_probs, torch.tensor([2])) == [ids(CHAR, "d e")]
    arpa = write_arpa(bigram_table(CHAR, {}), tmp_path / "uniform.arpa") if with_kenlm else None
    assert decode(CTCBeamSearch(CHAR, kenlm=arpa, lm_weight=1e-3), log_probs) == ids(CHAR, "d")


def test_length_bonus_trades_against_acoustics():
    # "a a" needs the blank (0.4) where "a" holds (0.6): worth log 1.5 = 0.41 less
    log_probs = frames(CHAR, [{"a": 0.9}, {"a": 0.6, "_": 0.4}, {"a": 0.9}])
    assert decode(CTCBeamSearch(CHAR), log_probs) == ids(CHAR, "a")
    assert decode(CTCBeamSearch(CHAR, length_bonus=1.0), log_probs) == ids(CHAR, "a a")


def test_char_lexicon_keeps_to_its_words(tmp_path):
    lexicon = write_lexicon(["dog", "cut", "the"], list, tmp_path / "lexicon.txt")
    assert lexicon.read_text() == "dog d o g\ncut c u t\nthe t h e\n"
    # greedy reads "dog cat"; letters and separators held over frames, no "|" after the last word
    log_probs = frames(CHAR, [{"d": .9}, {"o": .9}, {"g": .9}, {"g": .9}, {"|": .9}, {"|": .9},
                              {"c": .9}, {"a": .6, "u": .3}, {"t": .9}, {"t": .9}, {"_": .9}])
    assert ctc_greedy(log_probs, torch.tensor([11]))[0] == ids(CHAR, "d o g | c a t")
    assert decode(CTCBeamSearch(CHAR, lexicon=lexicon), log_probs) == ids(CHAR, "d o g | c u t")


def test_char_lexicon_holds_last_letters(tmp_path):
    # "a" held over 3 frames (0.486) beats two words "a _ a" (0.243): flashlight can hold only the
    # token that ends a word at its root, hence spellings ending in "|"
    lexicon = write_lexicon(["a", "cat"], list, tmp_path / "lexicon.txt")
    log_probs = frames(CHAR, [{"a": .9}, {"a": .6, "_": .3}, {"a": .9}])
    assert decode(CTCBeamSearch(CHAR, lexicon=lexicon), log_probs) == ids(CHAR, "a")
    # a bonus per output token, separators included, pays for a separator frame (0.011)
    assert decode(CTCBeamSearch(CHAR, lexicon=lexicon, length_bonus=5.0), log_probs) == ids(CHAR, "a | a")


def test_word_lexicon_masks_other_words(tmp_path):
    lexicon = write_lexicon(["eleven", "the", "cat"], lambda w: [w], tmp_path / "lexicon.txt")
    log_probs = frames(WORD, [{"the": .9}, {"the": .9}, {"seven": .6, "eleven": .3}, {"seven": .9}])
    assert decode(CTCBeamSearch(WORD), log_probs) == ids(WORD, "the seven")
    assert decode(CTCBeamSearch(WORD, lexicon=lexicon), log_probs) == ids(WORD, "the eleven")
    # held words (flashlight's lexicon search cannot hold a word's last token: it reads "cat dog dog cat")
    log_probs = frames(WORD, [{"cat": .9}, {"cat": .6, "dog": .35, "_": .01}, {"_": .9},
                              {"dog": .9}, {"dog": .6, "cat": .35, "_": .01}])
    lexicon = write_lexicon(["cat", "dog"], lambda w: [w], tmp_path / "lexicon.txt")
    assert decode(CTCBeamSearch(WORD, lexicon=lexicon), log_probs) == ids(WORD, "cat dog")


SPELL = {"cat": ["▁c", "at"], "cats": ["▁c", "at", "s"], "dog": ["▁d", "og"], "the": ["▁the"]}


def test_subword_lexicon_keeps_to_its_words(tmp_path):
    lexicon = write_lexicon(SPELL, SPELL.get, tmp_path / "lexicon.txt")
    # greedy reads "▁c og ▁d og" ("cog dog"): "▁c og" is no word
    log_probs = frames(SUBWORD, [{"▁c": .9}, {"▁c": .9}, {"og": .55, "at": .4}, {"og": .55, "at": .4},
                                 {"▁d": .9}, {"og": .9}])
    assert decode(CTCBeamSearch(SUBWORD), log_probs) == ids(SUBWORD, "▁c og ▁d og")
    assert decode(CTCBeamSearch(SUBWORD, lexicon=lexicon), log_probs) == ids(SUBWORD, "▁c at ▁d og")
    # words' last pieces held (flashlight's lexicon search can hold only its "silence" at a word's
    # end: paying the blank's 0.01 it reads "▁c at ▁the ▁d og ▁the")
    held = {"▁the": .3, "_": .01}
    log_probs = frames(SUBWORD, [{"▁c": .9}, {"at": .9}, {"at": .6} | held,
                                 {"▁d": .9}, {"og": .9}, {"og": .6} | held])
    assert decode(CTCBeamSearch(SUBWORD, lexicon=lexicon), log_probs) == ids(SUBWORD, "▁c at ▁d og")
    # a word ends where the next "▁" piece or the utterance comes, and "▁c" is not a word
    for rows in ([{"▁c": .9}, {"▁d": .6, "at": .35}, {"og": .6, "_": .35}], [{"▁c": .9}, {"_": .6, "at": .35}]):
        log_probs = frames(SUBWORD, rows)
        assert decode(CTCBeamSearch(SUBWORD), log_probs) != ids(SUBWORD, "▁c at")
        assert decode(CTCBeamSearch(SUBWORD, lexicon=lexicon), log_probs) == ids(SUBWORD, "▁c at")


@pytest.mark.parametrize("kind", ["kenlm", "step"])
def test_lm_with_subword_lexicon(tmp_path, kind):
    lexicon = write_lexicon(SPELL, SPELL.get, tmp_path / "lexicon.txt")
    # "dog cat" then "s" (0.45) or the blank (0.5); the LMs want "cats" after "dog"
    log_probs = frames(SUBWORD, [{"▁d": .9}, {"og": .9}, {"▁c": .9}, {"at": .9}, {"s": .45, "_": .5}])
    assert decode(CTCBeamSearch(SUBWORD, lexicon=lexicon), log_probs) == ids(SUBWORD, "▁d og ▁c at")
    if kind == "kenlm":  # over the lexicon's words
        arpa = write_arpa(bigram_table(list(SPELL), {"dog": {"cats": 0.9, "cat": 0.01}}), tmp_path / "w.arpa")
        options = dict(kenlm=arpa)
    else:  # over pieces
        options = dict(eos=len(SUBWORD) - 1, lm=bigram_step(SUBWORD, bigram_table(SUBWORD, {"at": {"s": 0.9}})))
    search = CTCBeamSearch(SUBWORD, lexicon=lexicon, lm_weight=1.0, **options)
    assert decode(search, log_probs) == ids(SUBWORD, "▁d og ▁c at s")


def test_subword_first_and_last_frames_are_kept():
    # the blank is flashlight's silence here: a real piece there would vanish into the path's ends
    log_probs = peaky(SUBWORD, "▁ ▁the ▁c at")
    assert decode(CTCBeamSearch(SUBWORD), log_probs) == ids(SUBWORD, "▁ ▁the ▁c at")


# "the" then "hat" (0.5) or "cat" (0.4): the bigram prefers "cat" after "the"
THE_CAT = {"<s>": {"the": 0.7}, "the": {"cat": 0.8, "hat": 0.02}, "cat": {"</s>": 0.9}, "hat": {"</s>": 0.9}}
AMBIGUOUS = [{"the": .9}, {"_": .9}, {"hat": .5, "cat": .4}]


@pytest.mark.parametrize("bonus", [0.0, 1.0])  # KenLM is scored by flashlight, or through Python for the bonus
def test_kenlm_and_step_lm_change_the_result_alike(tmp_path, bonus):
    table = bigram_table(WORD, THE_CAT)
    arpa = write_arpa(table, tmp_path / "bigram.arpa")
    log_probs = frames(WORD, AMBIGUOUS)
    assert decode(CTCBeamSearch(WORD), log_probs) == ids(WORD, "the hat")
    kenlm = CTCBeamSearch(WORD, kenlm=arpa, lm_weight=1.0, length_bonus=bonus)
    step = CTCBeamSearch(WORD, eos=len(WORD) - 1, lm=bigram_step(WORD, table), lm_weight=1.0, length_bonus=bonus)
    assert decode(kenlm, log_probs) == decode(step, log_probs) == ids(WORD, "the cat")
    # same probabilities, same fusion (natural log): same results on vaguer input too
    torch.manual_seed(1)
    rows = [frames(WORD, [{}])[0] + torch.randn(n, len(WORD)) for n in (3, 5, 8, 8, 12)]
    log_probs, lengths = pad([r.log_softmax(-1) for r in rows])
    plain = CTCBeamSearch(WORD, length_bonus=bonus)(log_probs, lengths)
    assert kenlm(log_probs, lengths) == step(log_probs, lengths) != plain


def test_kenlm_scores_lexicon_words(tmp_path):
    lexicon = write_lexicon(["the", "cat", "cut"], list, tmp_path / "lexicon.txt")
    table = bigram_table(["the", "cat", "cut"], {"<s>": {"the": 0.8}, "the": {"cut": 0.9}})
    arpa = write_arpa(table, tmp_path / "words.arpa")
    log_probs = frames(CHAR, [{"t": .9}, {"h": .9}, {"e": .9}, {"|": .9}, {"c": .9},
                              {"a": .5, "u": .4}, {"t": .9}])
    assert decode(CTCBeamSearch(CHAR, lexicon=lexicon), log_probs) == ids(CHAR, "t h e | c a t")
    search = CTCBeamSearch(CHAR, lexicon=lexicon, kenlm=arpa, lm_weight=1.0)
    assert decode(search, log_probs) == ids(CHAR, "t h e | c u t")


@pytest.mark.parametrize("with_lexicon", [False, True])
def test_step_lm_spells_words_through_tokens(tmp_path, with_lexicon):
    # a letter bigram that wants "u" after "c" (acoustics prefer "a")
    table = bigram_table(CHAR, {"c": {"u": 0.9, "a": 0.01}})
    lexicon = write_lexicon(["cat", "cut", "the"], list, tmp_path / "lex.txt") if with_lexicon else None
    log_probs = frames(CHAR, [{"c": .9}, {"a": .5, "u": .4}, {"t": .9}])
    assert decode(CTCBeamSearch(CHAR, lexicon=lexicon), log_probs) == ids(CHAR, "c a t")
    search = CTCBeamSearch(CHAR, eos=len(CHAR) - 1, lexicon=lexicon, lm=bigram_step(CHAR, table), lm_weight=1.0)
    assert decode(search, log_probs) == ids(CHAR, "c u t")


def test_step_lm_is_called_once_per_history():
    calls: list[tuple[int, ...]] = []
    eos = len(WORD) - 1
    search = CTCBeamSearch(WORD, eos=eos, lm=bigram_step(WORD, bigram_table(WORD, THE_CAT), calls), lm_weight=1.0)
    one = frames(WORD, AMBIGUOUS)
    decode(search, one)
    assert calls[0] == (eos,)  # the first call is step(tensor([sos]), None)
    assert len(set(calls)) == len(calls)  # a history's log-probs are computed once, then indexed
    first = len(calls)
    search(torch.cat([one, one]), torch.tensor([3, 3]))
    assert len(calls) == 3 * first  # each utterance starts afresh


@pytest.mark.parametrize("kind", ["plain", "lm", "lexicon", "subword lexicon"])
def test_rows_of_different_lengths_match_one_at_a_time(tmp_path, kind):
    torch.manual_seed(2)
    symbols = SUBWORD if kind == "subword lexicon" else CHAR
    options = {"lm": dict(eos=len(CHAR) - 1, lm=bigram_step(CHAR, bigram_table(CHAR, {})), lm_weight=0.5),
               "lexicon": dict(lexicon=write_lexicon(["cat", "dog", "the", "a"], list, tmp_path / "lex.txt")),
               "subword lexicon": dict(lexicon=write_lexicon(SPELL, SPELL.get, tmp_path / "pieces.txt")),
               "plain": {}}[kind]
    search = CTCBeamSearch(symbols, beam=5, **options)
    rows = [(torch.randn(n, len(symbols)) * 3).log_softmax(-1) for n in (9, 2, 6, 1)]
    log_probs, lengths = pad(rows)
    assert search(log_probs, lengths) == [decode(search, r[None]) for r in rows]
    assert search(log_probs[:, :0], torch.tensor([0, 0, 0, 0])) == [[], [], [], []]


def test_rejects_bad_arguments(tmp_path):
    step = bigram_step(WORD, bigram_table(WORD, {}))
    with pytest.raises(ValueError, match="not both"):
        CTCBeamSearch(WORD, eos=8, kenlm=tmp_path / "x.arpa", lm=step)
    with pytest.raises(ValueError, match="eos"):
        CTCBeamSearch(WORD, lm=step, lm_weight=1.0)
    with pytest.raises(ValueError, match="distinct"):
        CTCBeamSearch(["<blank>", "a", "a"])
    (tmp_path / "bad.txt").write_text("cat c a x\n")
    with pytest.raises(ValueError, match="unknown tokens"):
        CTCBeamSearch(CHAR, lexicon=tmp_path / "bad.txt")
    (tmp_path / "bad.txt").write_text("cat ▁c at\ncats at s\n")
    with pytest.raises(ValueError, match="the first"):
        CTCBeamSearch(SUBWORD, lexicon=tmp_path / "bad.txt")
    with pytest.raises(ValueError, match="whitespace"):
        write_lexicon(["new york"], list, tmp_path / "lex.txt")


def test_a_lexicon_search_that_cannot_finish_a_word_returns_nothing(tmp_path: Path):
    """Frames that say "s e" and nothing more cannot spell "seven": flashlight's best hypothesis is then
    an unfinished word at a forbidden score, which must not come out as the text "se"."""
    symbols = ["<blank>", "|", "e", "n", "o", "s", "v", "<sos/eos>"]
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("seven s e v e n\n")
    log_probs = torch.full((1, 8, len(symbols)), -60.0)
    for t, s in enumerate(["s", "<blank>", "<blank>", "<blank>", "e", "e", "e", "e"]):
        log_probs[0, t, symbols.index(s)] = 0.0
    search = CTCBeamSearch(symbols, blank=0, eos=7, beam=10, lexicon=lexicon)
    assert decode(search, log_probs) == []
    # the same search still finds the word where the frames spell it
    assert decode(search, peaky(symbols, "s e v _ e n")) == ids(symbols, "s e v e n")


def test_a_file_kenlm_cannot_read_is_a_value_error(tmp_path: Path):
    not_arpa = tmp_path / "notes.arpa"
    not_arpa.write_text("not an arpa file\n")
    with pytest.raises(ValueError, match="cannot load the language model"):
        CTCBeamSearch(CHAR, blank=0, eos=len(CHAR) - 1, kenlm=not_arpa, lm_weight=0.5)
