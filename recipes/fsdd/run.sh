#!/usr/bin/env bash
# Free Spoken Digit Dataset recipe: real recorded digits, speaker-independent recognition.
#
#   bash recipes/fsdd/run.sh RECORDINGS_DIR [--test-speaker theo|all] [--stage N] [--stop-stage N]
#
# Trains on every speaker but the held-out one (takes 10-49; takes 5-9 for validation), then
# reports word accuracy on the held-out speaker and on takes 0-4 of the training speakers.
# --test-speaker all holds out each speaker in turn and ends with a table of the rotations.
# Stages: 0 set-up, 1 prepare manifests, 2 train, 3 evaluate. Output in recipes/fsdd/{data,exp}.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
stage=0 stop_stage=3 test_speaker=theo recordings=""
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --test-speaker) test_speaker=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) recordings=$(cd "$1" && pwd); shift ;;
  esac
done
if [ -z "$recordings" ]; then
  echo "usage: bash recipes/fsdd/run.sh RECORDINGS_DIR (the folder of {digit}_{speaker}_{take}.wav files)" >&2
  exit 2
fi
cd "$here"
log() { echo "[$(date +%T)] fsdd stage $*"; }
asr() { "$root/.venv/bin/asr" "$@"; }
accuracy() {  # word accuracy (%) from `asr evaluate`'s summary line: 100 - WER
  grep -o 'WER [0-9.]*%' | tr -d 'WER%' | awk '{printf "%.1f", 100 - $1}'
}

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  log "0: set-up"
  bash "$root/scripts/setup.sh"
fi

run_speaker() {  # stages 1-3 with $1 held out; stage 3 appends "speaker held-out takes" to $summary
  local speaker=$1 exp="exp/heldout-$1"
  if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
    log "1: preparing manifests (held-out speaker: $speaker)"
    asr prepare fsdd "$recordings" --out "data/$speaker" --test-speakers "$speaker" \
      --test-takes 0-4 --dev-takes 5-9
  fi
  if [ $stage -le 2 ] && [ $stop_stage -ge 2 ] && [ ! -f "$exp/.done" ]; then
    log "2: training (held-out speaker: $speaker)"
    asr train --config conf.yaml --out "$exp" \
      --data.train "data/$speaker/train.jsonl" --data.dev "data/$speaker/dev.jsonl"
    touch "$exp/.done"
  fi
  if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
    log "3: scoring (word error rate = 1 - word accuracy for single digits)"
    local held takes
    held=$(asr evaluate --model "$exp/model.pt" "data/$speaker/test_speaker.jsonl" | tee /dev/stderr | accuracy)
    takes=$(asr evaluate --model "$exp/model.pt" "data/$speaker/test_takes.jsonl" | tee /dev/stderr | accuracy)
    echo "$speaker $held $takes" >> "$summary"
  fi
}

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
if [ "$test_speaker" = all ]; then
  speakers=$(find "$recordings" -maxdepth 1 -name '*_*_*.wav' -printf '%f\n' | cut -d_ -f2 | sort -u)
  if [ -z "$speakers" ]; then
    echo "run.sh: no {digit}_{speaker}_{take}.wav files in $recordings" >&2
    exit 2
  fi
else
  speakers=$test_speaker
fi
for speaker in $speakers; do
  run_speaker "$speaker"
done
if [ -s "$summary" ]; then
  echo
  printf '%-12s %22s %28s\n' "held out" "held-out speaker acc %" "training speakers' takes %"
  awk '{printf "%-12s %22s %28s\n", $1, $2, $3; h += $2; t += $3; n++}
       END {if (n > 1) printf "%-12s %22.1f %28.1f\n", "mean", h / n, t / n}' "$summary"
fi
