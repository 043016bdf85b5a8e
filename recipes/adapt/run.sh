#!/usr/bin/env bash
# Adapting a trained model to real speech it has not heard: fine-tuned (asr train --init-from) against
# the base model as it is and against a model trained from scratch on the same files, same budget.
#
#   bash recipes/adapt/run.sh fsdd RECORDINGS_DIR [--speakers "nicolas yweweler"] [--seeds "0 1"]
#   bash recipes/adapt/run.sh librispeech ROOT [--base MODEL.pt] [--held-out "1462 251 6295 84"]
#                             [--minutes 3] [--seeds "0 1"]
#
# fsdd: for each speaker, the FSDD recipe's model of the other three speakers (recipes/fsdd/run.sh
# trains it when missing) is fine-tuned on the speaker's takes 0-9 (10 per digit: 100 recordings) and
# scored on takes 10-49 (400), beside the base model and a model trained from scratch on the same 100
# recordings for the same epochs. Word accuracy (%).
# librispeech: the mini recipe's model (default ../mini/exp/mini/model.pt, generated speech) fine-tuned
# on the LibriSpeech utterances under ROOT but those of the --held-out speakers, scored on those; from
# scratch on the same utterances for the same --minutes. WER and CER (%).
# Each run ends with a table, a row per speaker (fsdd) and seed. Output in recipes/adapt/{data,exp}.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; }
corpus="" source="" speakers="nicolas yweweler" seeds="0 1" base="" minutes=3 held_out="1462 251 6295 84"
while [ $# -gt 0 ]; do
  case "$1" in
    --speakers) speakers=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --base) base=$(realpath "$2"); shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --held-out) held_out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) if [ -z "$corpus" ]; then corpus=$1; else source=$(realpath "$1"); fi; shift ;;
  esac
done
if [ "$corpus" != fsdd ] && [ "$corpus" != librispeech ] || [ -z "$source" ]; then
  usage >&2; exit 2
fi
cd "$here"
log() { echo "[$(date +%T)] adapt $*"; }
asr() { "$root/.venv/bin/asr" "$@"; }
py() { "$root/.venv/bin/python" "$@"; }
# subset IN OUT PYTHON-CONDITION: the manifest lines of IN whose utterance u (a dict) meets the condition
subset() {
  py -c "import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
kept = [u for u in rows if $3]
open(sys.argv[2], 'w').write(''.join(json.dumps(u) + '\n' for u in kept))
print(f'{sys.argv[2]}: {len(kept)} utterances')" "$1" "$2"
}
# score MODEL MANIFEST: "WER CER" in %
score() {
  asr evaluate --model "$1" "$2" --out "$(dirname "$1")/hyps_$(basename "$2")" --scores "$(dirname "$1")/scores.json" \
    >&2
  py -c "import json, sys; s = json.load(open(sys.argv[1])); print(f\"{100 * s['wer']:.1f} {100 * s['cer']:.1f}\")" \
    "$(dirname "$1")/scores.json"
}
# timed_train OUT ARGS...: asr train, once (a .done marker), and the seconds it took in OUT/seconds
timed_train() {
  local out=$1; shift
  if [ ! -f "$out/.done" ]; then
    local t0; t0=$(date +%s)
    asr train --out "$out" "$@"
    echo $(( $(date +%s) - t0 )) > "$out/seconds"
    touch "$out/.done"
  fi
}
table=$(mktemp)
trap 'rm -f "$table"' EXIT

if [ "$corpus" = fsdd ]; then
  for speaker in $speakers; do
    fsdd_exp="$here/../fsdd/exp/heldout-$speaker"
    if [ ! -f "$fsdd_exp/.done" ]; then
      log "base model without $speaker (recipes/fsdd)"
      bash ../fsdd/run.sh "$source" --test-speaker "$speaker" --stage 1 --stop-stage 2
    fi
    data=data/fsdd-$speaker
    mkdir -p "$data"
    subset "../fsdd/data/$speaker/test_speaker.jsonl" "$data/adapt.jsonl" "int(u['id'].rsplit('_', 1)[1]) < 10"
    subset "../fsdd/data/$speaker/test_speaker.jsonl" "$data/test.jsonl" "int(u['id'].rsplit('_', 1)[1]) >= 10"
    mkdir -p "exp/fsdd-$speaker/base"
    cp "$fsdd_exp/model.pt" "exp/fsdd-$speaker/base/model.pt"
    read -r base_wer _ < <(score "exp/fsdd-$speaker/base/model.pt" "$data/test.jsonl")
    for seed in $seeds; do
      common=(--config ../fsdd/conf.yaml --config conf_fsdd.yaml --data.train "$data/adapt.jsonl"
              --data.dev "$data/adapt.jsonl" --train.seed "$seed")
      log "fine-tuning for $speaker, seed $seed"
      timed_train "exp/fsdd-$speaker/finetuned-$seed" "${common[@]}" --init-from "$fsdd_exp/model.pt" \
        --config conf_fsdd_finetune.yaml
      log "training from scratch for $speaker, seed $seed"
      timed_train "exp/fsdd-$speaker/scratch-$seed" "${common[@]}"
      read -r tuned_wer _ < <(score "exp/fsdd-$speaker/finetuned-$seed/model.pt" "$data/test.jsonl")
      read -r scratch_wer _ < <(score "exp/fsdd-$speaker/scratch-$seed/model.pt" "$data/test.jsonl")
      echo "$speaker $seed $base_wer $tuned_wer $scratch_wer $(cat "exp/fsdd-$speaker/finetuned-$seed/seconds")" \
        "$(cat "exp/fsdd-$speaker/scratch-$seed/seconds")" >> "$table"
    done
  done
  echo
  printf '%-10s %4s %6s %10s %8s %12s\n' speaker seed base fine-tuned scratch "seconds f/s"
  awk '{printf "%-10s %4s %6.1f %10.1f %8.1f %7s/%s\n", $1, $2, 100 - $3, 100 - $4, 100 - $5, $6, $7}' "$table"
  echo "(word accuracy %, on each speaker's takes 10-49; 100 recordings to adapt on, 60 epochs)"
else
  base=${base:-$here/../mini/exp/mini/model.pt}
  [ -f "$base" ] || { echo "run.sh: no base model at $base (run recipes/mini/run.sh, or pass --base)" >&2; exit 2; }
  if [ ! -f data/librispeech/.done ]; then
    asr prepare librispeech "$source" --out data/librispeech
    touch data/librispeech/.done
  fi
  all=$(ls data/librispeech/*.jsonl | head -1)
  held="{$(for s in $held_out; do printf "'%s'," "$s"; done)}"
  subset "$all" data/librispeech-adapt.jsonl "u['speaker'] not in $held"
  subset "$all" data/librispeech-test.jsonl "u['speaker'] in $held"
  mkdir -p exp/librispeech/base
  cp "$base" exp/librispeech/base/model.pt
  read -r base_wer base_cer < <(score exp/librispeech/base/model.pt data/librispeech-test.jsonl)
  for seed in $seeds; do
    common=(--config ../mini/conf.yaml --config conf_librispeech.yaml --data.train data/librispeech-adapt.jsonl
            --data.dev data/librispeech-adapt.jsonl --train.seed "$seed" --train.max_minutes "$minutes")
    log "fine-tuning the mini model, seed $seed ($minutes minutes)"
    timed_train "exp/librispeech/finetuned-$seed" "${common[@]}" --init-from "$base" \
      --config conf_librispeech_finetune.yaml
    log "training from scratch, seed $seed ($minutes minutes)"
    timed_train "exp/librispeech/scratch-$seed" "${common[@]}"
    read -r tuned_wer tuned_cer < <(score "exp/librispeech/finetuned-$seed/model.pt" data/librispeech-test.jsonl)
    read -r scratch_wer scratch_cer < <(score "exp/librispeech/scratch-$seed/model.pt" data/librispeech-test.jsonl)
    echo "$seed $base_wer/$base_cer $tuned_wer/$tuned_cer $scratch_wer/$scratch_cer" >> "$table"
  done
  echo
  printf '%4s %12s %12s %12s\n' seed base fine-tuned scratch
  awk '{printf "%4s %12s %12s %12s\n", $1, $2, $3, $4}' "$table"
  echo "(WER/CER % on speakers $held_out; trained $minutes minutes each)"
fi
