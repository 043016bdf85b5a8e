#!/usr/bin/env bash
# LibriSpeech: from download to a RESULTS.md table.
#
#   bash recipes/librispeech/run.sh [--data DIR] [--subsets "SUBSET ..."] [--config NAME] [--work DIR]
#                                   [--lm-text FILE] [--stage N] [--stop-stage N]
#
# --config names conf/NAME.yaml: ctc_100h, joint_100h (train-clean-100), ctc_960h, joint_960h (all
# 960 hours), or tiny (the whole recipe in a few CPU minutes on one small subset; with ../shared
# beside the project it uses ../shared/data/librispeech). --subsets overrides the config's list
# (the first is trained on, the second picks checkpoints, the rest are test sets).
# Stages (outputs in WORK/{data,exp/NAME}; --work defaults to recipes/librispeech):
#   1 download the subsets into DIR (checksums; an interrupted download continues; present ones skipped)
#   2 prepare manifests (data/manifests/SUBSET.jsonl)
#   3 tokenizer learnt from the training transcripts (the config's, e.g. SentencePiece BPE): exp/NAME/tokenizer.json
#   4 LSTM language model over those tokens on the training transcripts, and on --lm-text FILE too
#     when given (LibriSpeech's LM text, librispeech-lm-norm.txt.gz from openslr.org/11; the config's
#     lm.max_sentences samples it)
#   5 train the acoustic model over the same tokens; the model file holds the average of the
#     train.average_best best checkpoints
#   6 decode every test set with each of the config's decoders, and score
#   7 write exp/NAME/RESULTS.md: config, test set, decoder, WER / CER, training hours, hardware
# Training is `asr train`: a re-run after a crash continues from its last checkpoint. Several GPUs:
# add --train.devices N to EXTRA (see README.md); EXTRA="--section.key value ..." passes any setting.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
stage=1 stop_stage=7 config=tiny data="" subsets="" work="" lm_text=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    --subsets) subsets=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --lm-text) lm_text=$(realpath "$2"); shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
conf=$here/conf/$config.yaml
[ -f "$conf" ] || { echo "run.sh: no config $conf (see conf/)" >&2; exit 2; }
mkdir -p "${work:=$here}"
cd "$work"
# the config's recipe section, read by the same loader as asr train: "subsets" (a line) or "decoders" (NAME<TAB>FLAGS lines)
recipe() {
  "$root/.venv/bin/python" - "$conf" "$1" <<'PY'
import sys
from asr.training.config import load_config
recipe = load_config(sys.argv[1]).recipe
print(" ".join(recipe.subsets) if sys.argv[2] == "subsets" else
      "\n".join(f"{name}\t{flags}" for name, flags in recipe.decoders.items()))
PY
}
subsets=${subsets:-$(recipe subsets)}
read -r -a sets <<< "$subsets"
# train-960 is the three training subsets together
expand() { for s in "$@"; do [ "$s" = train-960 ] && echo train-clean-100 train-clean-360 train-other-500 || echo "$s"; done; }
corpus_sets=$(expand "${sets[@]}" | tr ' ' '\n' | sort -u)
[ ${#sets[@]} -ge 3 ] || { echo "run.sh: need a training, a dev and at least one test subset, got: $subsets" >&2; exit 2; }
if [ -z "$data" ]; then
  if [ "$config" = tiny ] && [ -d "$root/../shared/data/librispeech" ]; then data=$root/../shared/data/librispeech
  else data=$PWD/data/corpus; fi
fi
exp=exp/$config
asr() { "$root/.venv/bin/asr" "$@"; }
log() { echo "[$(date +%T)] librispeech stage $*"; }
mkdir -p "$exp"

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "1: download ${sets[*]} into $data"
  missing=()
  for s in $corpus_sets; do
    [ -d "$data/LibriSpeech/$s" ] || [ -d "$data/$s" ] || missing+=("$s")
  done
  [ ${#missing[@]} -eq 0 ] || asr prepare librispeech "$data" --download "${missing[@]}" --out data/manifests \
    --subsets "${missing[@]}"
fi
if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  log "2: manifests"
  asr prepare librispeech "$data" --out data/manifests --subsets $corpus_sets
  if [ "${sets[0]}" = train-960 ]; then
    cat data/manifests/train-clean-100.jsonl data/manifests/train-clean-360.jsonl \
      data/manifests/train-other-500.jsonl > data/manifests/train-960.jsonl
  fi
fi
train_set=data/manifests/${sets[0]}.jsonl dev_set=data/manifests/${sets[1]}.jsonl
tokens=$exp/tokenizer.json
if [ $stage -le 3 ] && [ $stop_stage -ge 3 ] && [ ! -f "$tokens" ]; then
  log "3: tokenizer from the transcripts of ${sets[0]}"
  asr tokenizer train "$train_set" --config "$conf" --out "$tokens" ${EXTRA:-}
fi
if [ $stage -le 4 ] && [ $stop_stage -ge 4 ] && [ ! -f "$exp/lm.pt" ]; then
  log "4: LSTM language model on the training transcripts${lm_text:+ and $lm_text} (log: $exp/lm.log)"
  asr lm train "$train_set" ${lm_text:+"$lm_text"} --config "$conf" --tokenizer.file "$tokens" --out "$exp/lm.pt" \
    ${EXTRA:-} > "$exp/lm.log" 2>&1 || { echo "run.sh: the language model failed (see $exp/lm.log)" >&2; exit 1; }
fi
if [ $stage -le 5 ] && [ $stop_stage -ge 5 ] && [ ! -f "$exp/.trained" ]; then
  log "5: training $config (log: $exp/train.log)"
  began=$(date +%s)
  asr train --config "$conf" --data.train "$train_set" --data.dev "$dev_set" --tokenizer.file "$tokens" \
    --out "$exp" ${EXTRA:-} 2>&1 | tee "$exp/train.log" | grep -v "it/s" || true
  [ -f "$exp/model.pt" ] || { echo "run.sh: training wrote no model (see $exp/train.log)" >&2; exit 1; }
  echo $(( $(date +%s) - began )) > "$exp/train_seconds"
  touch "$exp/.trained"
fi
if [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then
  log "6: decoding and scoring ${sets[*]:2}"
  mkdir -p "$exp/scores"
  while IFS=$'\t' read -r name flags; do
    [ -n "$name" ] || continue
    for s in "${sets[@]:2}"; do
      asr evaluate --model "$exp/model.pt" "data/manifests/$s.jsonl" --out "$exp/hyps/$name/$s.jsonl" \
        --scores "$exp/scores/$name.$s.json" ${flags//LM/$exp/lm.pt} 2>/dev/null
    done
  done < <(recipe decoders)
fi
if [ $stage -le 7 ] && [ $stop_stage -ge 7 ]; then
  log "7: $exp/RESULTS.md"
  hours=$(awk '{printf "%.2f", $1 / 3600}' "$exp/train_seconds" 2>/dev/null || echo "?")
  cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo 2>/dev/null | head -1)
  gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)
  {
    echo "# LibriSpeech, config $config"
    echo
    echo "Trained on ${sets[0]} (checkpoints picked on ${sets[1]}) for $hours hours on $(nproc) CPU cores ($cpu)${gpu:+, GPU $gpu}."
    echo
    echo "| config | test set | decoder | WER | CER |"
    echo "|---|---|---|---|---|"
    # one row per scores file asr evaluate wrote (NAME.SET.json), in the config's order of decoders
    "$root/.venv/bin/python" - "$conf" "$exp/scores" "$config" "${sets[@]:2}" <<'PY'
import json, sys
from pathlib import Path
from asr.training.config import load_config
conf, scores, config, *test_sets = sys.argv[1:]
for name in load_config(conf).recipe.decoders:
    for test_set in test_sets:
        r = json.loads((Path(scores) / f"{name}.{test_set}.json").read_text())
        print(f"| {config} | {test_set} | {name} | {100 * r['wer']:.2f}% | {100 * r['cer']:.2f}% |")
PY
  } > "$exp/RESULTS.md"
  cat "$exp/RESULTS.md"
fi
