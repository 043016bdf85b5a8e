#!/usr/bin/env bash
# Mini recipe, the embedded default: generate a small spoken corpus with espeak-ng, prepare
# manifests, train a BiLSTM-CTC model, score it, transcribe a wav file it has never seen.
#
#   bash recipes/mini/run.sh [--stage N] [--stop-stage N] [--seed N] [--model ctc|las|joint|stream|uni] [--noisy]
#
# --model las or joint trains Listen-Attend-Spell or joint CTC/attention instead (conf_las.yaml,
# conf_joint.yaml over conf.yaml) into exp/las or exp/joint, decoded with beam search; --model stream
# a CTC model that can transcribe a stream, its BiLSTM latency-controlled to 0.48 s of look-ahead
# (conf_stream.yaml), and --model uni one with a unidirectional LSTM (conf_uni.yaml over it); the default
# is the CTC model in exp/mini. compare.sh trains and scores every kind for the README's table.
# --noisy trains in simulated rooms and generated noise (conf_noisy.yaml) into exp/mini-noisy (exp/las-noisy,
# ...), and makes a copy of the test set in rooms and other noise at 0-20 dB (data/manifests-noisy), which
# stage 4 then scores for every model, noisy or not.
#
# Stages: 0 set-up, 1 generate corpus, 2 prepare manifests, 3 train, 4 evaluate, 5 transcribe.
# Everything is written inside recipes/mini/ (data/, exp/); a finished stage leaves a .done
# marker and is skipped when run again (delete the marker to redo it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
stage=0 stop_stage=5 seed=0 model=ctc noisy=false
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --noisy) noisy=true; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$model" in
  ctc) exp=exp/mini configs=(--config conf.yaml) ;;
  las|joint|stream) exp=exp/$model configs=(--config conf.yaml --config "conf_$model.yaml") ;;
  uni) exp=exp/uni configs=(--config conf.yaml --config conf_stream.yaml --config conf_uni.yaml) ;;
  *) echo "run.sh: --model must be ctc, las, joint, stream or uni, not $model" >&2; exit 2 ;;
esac
if $noisy; then
  exp=$exp-noisy configs+=(--config conf_noisy.yaml)
fi
cd "$here"
log() { echo "[$(date +%T)] mini stage $*"; }
asr() { "$root/.venv/bin/asr" "$@"; }
start=$(date +%s)

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  log "0: set-up (virtual environment, pinned packages, espeak-ng)"
  bash "$root/scripts/setup.sh"
fi
if [ $stage -le 1 ] && [ $stop_stage -ge 1 ] && [ ! -f data/corpus/.done ]; then
  log "1: generating the spoken corpus"
  asr synth --out data/corpus --seed "$seed" --train 16000 --dev 150 --test 300 --open-vocab 40 --natural 40
  touch data/corpus/.done
fi
if [ $stage -le 2 ] && [ $stop_stage -ge 2 ] && [ ! -f data/manifests/.done ]; then
  log "2: preparing manifests"
  asr prepare librispeech data/corpus --out data/manifests
  touch data/manifests/.done
fi
if $noisy && [ $stage -le 2 ] && [ $stop_stage -ge 2 ] && [ ! -f data/manifests-noisy/.done ]; then
  log "2: noise recordings to train with (data/noise) and a test copy in rooms and other noise"
  "$root/.venv/bin/python" "$root/scripts/make_noise_folder.py" data/noise --seed 0
  "$root/.venv/bin/python" "$root/scripts/make_noise_folder.py" data/noise-test --seed 1
  "$root/.venv/bin/python" "$root/scripts/corrupt_manifest.py" data/manifests/test.jsonl --out data/manifests-noisy \
    --noise-dir data/noise-test --snr 0 20 --rir-prob 1 --seed 1
  touch data/manifests-noisy/.done
fi
if [ $stage -le 3 ] && [ $stop_stage -ge 3 ] && [ ! -f $exp/.done ]; then
  # Training gets what is left of the recipe's 15 minutes, less 0.75 for loading data, writing the
  # model, scoring and transcribing (measured: 25 s), and at least 2; the learning rate anneals by
  # that clock, so a slow set-up costs epochs, not the promise, and a fast one trains longer.
  # Beam search scores the 21 minutes of test audio at a real-time factor of 0.04 (50 s): las and
  # joint keep 1 minute more.
  reserve=1.75; case "$model" in ctc|stream|uni) reserve=0.75 ;; esac
  budget=$(awk -v used=$(( $(date +%s) - start )) -v reserve=$reserve \
    'BEGIN { b = 15 - reserve - used / 60; if (b < 2) b = 2; printf "%.1f", b }')
  log "3: training (wall-clock budget $budget minutes)"
  asr train "${configs[@]}" --out $exp --train.max_minutes "$budget"
  touch $exp/.done
fi
if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "4: scoring ($model; its kind's default decoding: greedy for CTC, beam search otherwise)"
  for set in test test-open test-natural; do
    asr evaluate --model $exp/model.pt data/manifests/$set.jsonl
  done
  if [ -f data/manifests-noisy/.done ]; then
    asr evaluate --model $exp/model.pt data/manifests-noisy/test.jsonl --out $exp/hyps_test-noisy.jsonl
  fi
fi
if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
  log "5: transcribing a new sentence in a new voice (22.05 kHz wav, resampled on load)"
  sentence="the weather was lovely so seven friends walked along the river after lunch"
  espeak-ng -v en-us+Andrea -s 165 -w data/new_sentence.wav "$sentence"
  echo "reference:  $sentence"
  asr transcribe --model $exp/model.pt data/new_sentence.wav
fi
log "done in $(( $(date +%s) - start )) s; model: recipes/mini/$exp/model.pt"
