#!/usr/bin/env bash
# Free Spoken Digit Dataset recipe: real recorded digits, speaker-independent recognition.
#
#   bash recipes/fsdd/run.sh RECORDINGS_DIR [--test-speaker theo] [--stage N] [--stop-stage N]
#
# Trains on every speaker but the held-out one (takes 10-49; takes 5-9 for validation), then
# reports word accuracy on the held-out speaker and on takes 0-4 of the training speakers.
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
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
exp="exp/heldout-$test_speaker"

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  log "0: set-up"
  bash "$root/scripts/setup.sh"
fi
if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "1: preparing manifests (held-out speaker: $test_speaker)"
  asr prepare fsdd "$recordings" --out "data/$test_speaker" --test-speakers "$test_speaker" \
    --test-takes 0-4 --dev-takes 5-9
fi
if [ $stage -le 2 ] && [ $stop_stage -ge 2 ] && [ ! -f "$exp/.done" ]; then
  log "2: training"
  asr train --config conf.yaml --out "$exp" \
    --data.train "data/$test_speaker/train.jsonl" --data.dev "data/$test_speaker/dev.jsonl"
  touch "$exp/.done"
fi
if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "3: scoring (word error rate = 1 - word accuracy for single digits)"
  asr evaluate --model "$exp/model.pt" "data/$test_speaker/test_speaker.jsonl"
  asr evaluate --model "$exp/model.pt" "data/$test_speaker/test_takes.jsonl"
fi
