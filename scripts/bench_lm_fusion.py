"""CTC beam search with an LSTM language model: the batched search (asr.decoding.ctc_prefix_beam) against
flashlight asking the LM one hypothesis at a time, and both against the plain beam and greedy decoding.

  .venv/bin/python scripts/bench_lm_fusion.py --model recipes/mini/exp/mini/model.pt --lm exp/lm.pt \\
      recipes/mini/data/manifests/test.jsonl [--beam 10] [--lm-weight 0.3]

The encoder runs once (its time is counted in every real-time factor, as `asr evaluate` counts it); each
search then decodes the same CTC log-probs. Prints, per search, the real-time factor (encoder + search
over audio time), WER / CER, and how many best hypotheses equal the one-at-a-time search's. Figures go in
the recipe README and the closing notes, never in tests.
"""

from __future__ import annotations

import argparse
import time

import jiwer
import torch

from asr.data.audio import load_audio
from asr.data.manifest import read_manifest
from asr.decoding.ctc_beam import CTCBeamSearch
from asr.decoding.ctc_greedy import ctc_greedy
from asr.decoding.ctc_prefix_beam import CTCPrefixBeamSearch
from asr.features.batching import map_feature_batches
from asr.model_file import load_model_file
from asr.text.normalize import normalize_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest")
    parser.add_argument("--model", required=True, help="a CTC (or joint) model file")
    parser.add_argument("--lm", required=True, help="an `asr lm train` model over the model's tokens")
    parser.add_argument("--beam", type=int, default=10)
    parser.add_argument("--lm-weight", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    loaded, lm = load_model_file(args.model), load_model_file(args.lm)
    model, tokenizer = loaded.model.eval(), loaded.tokenizer
    utterances = read_manifest(args.manifest)
    rate = loaded.features.cfg.sample_rate
    waves = [load_audio(u.audio, rate) for u in utterances]
    audio = sum(len(w) for w in waves) / rate

    def encode(feats: torch.Tensor, feat_lens: torch.Tensor) -> list[torch.Tensor]:
        enc, enc_lens = model.encode(feats, feat_lens)
        log_probs = model.ctc_log_probs(enc)
        return [log_probs[b, :enc_lens[b]] for b in range(len(enc))]

    with torch.inference_mode():
        start = time.perf_counter()
        per_utterance = map_feature_batches(loaded.features, waves, encode, 200.0, 32)
        encoder = time.perf_counter() - start
    lengths = torch.tensor([len(p) for p in per_utterance])
    log_probs = torch.nn.utils.rnn.pad_sequence(per_utterance, batch_first=True)
    blank, eos = tokenizer.blank_id, tokenizer.eos_id
    common = dict(blank=blank, eos=eos, beam=args.beam)
    searches = {
        "greedy": lambda lp, n: ctc_greedy(lp, n, blank),
        "beam (flashlight)": CTCBeamSearch(tokenizer.symbols, **common),
        "beam (batched)": CTCPrefixBeamSearch(**common),
        "beam + LM (flashlight, one hypothesis at a time)": CTCBeamSearch(
            tokenizer.symbols, lm=lm.model.step, lm_weight=args.lm_weight, **common),
        "beam + LM (batched)": CTCPrefixBeamSearch(lm=lm.model.step, lm_weight=args.lm_weight, **common),
    }
    refs = [normalize_text(u.text) for u in utterances]
    print(f"== {len(utterances)} utterances ({audio:.0f} s of audio), beam {args.beam}, LM weight {args.lm_weight}, "
          f"{torch.get_num_threads()} threads; encoder RTF {encoder / audio:.4f}")
    reference = None
    for name, search in searches.items():
        with torch.inference_mode():
            start = time.perf_counter()
            ids = []
            for first in range(0, len(lengths), 32):  # batches as `asr evaluate` decodes them
                ids += search(log_probs[first:first + 32], lengths[first:first + 32])
            seconds = time.perf_counter() - start
        hyps = [tokenizer.decode(i) for i in ids]
        same = ""
        if "one hypothesis" in name:
            reference = ids
        elif "LM (batched)" in name and reference is not None:
            equal = sum(a == b for a, b in zip(ids, reference, strict=True))
            same = f", best equal to one-at-a-time's: {equal}/{len(ids)}"
        print(f"{name:50} RTF {(encoder + seconds) / audio:.4f} (search {seconds / audio:.4f})  "
              f"WER {100 * jiwer.wer(refs, hyps):.2f}%  CER {100 * jiwer.cer(refs, hyps):.2f}%{same}")


if __name__ == "__main__":
    main()
