#!/usr/bin/env bash
# Mini comparison: every model kind and decoder on the same corpus and the same training budget,
# written as a markdown table (the README's results table comes from here).
#
#   bash recipes/mini/compare.sh [--minutes M] [--lm-weight W] [--rows "ctc las ..."]
#
# Needs run.sh's corpus and manifests (run.sh --stop-stage 2). Trains two models at a time, one
# CPU thread each, for M minutes (default 11.4) each: ctc (conf.yaml, LSTM), gru, rnn (Elman) and
# jordan (the same CTC model with another cell), las (conf_las.yaml) and joint (conf_joint.yaml);
# then an LSTM language model on the training transcripts, then scores each decoder on test,
# test-natural and test-open, with the decoding real-time factor on this machine's cores.
# Writes exp/compare/ (models, hypotheses) and exp/compare/RESULTS.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
minutes=11.4 lm_weight=0.3 rows="ctc joint las gru rnn jordan"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --lm-weight) lm_weight=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$here"
[ -f data/manifests/.done ] || { echo "compare.sh: no manifests: run 'bash run.sh --stop-stage 2' first" >&2; exit 2; }
asr() { "$root/.venv/bin/asr" "$@"; }
exp=exp/compare
mkdir -p "$exp"
log() { echo "[$(date +%T)] compare: $*"; }

train_row() {  # name -> trains exp/compare/NAME unless it has a model
  local name=$1 extra=()
  case "$name" in
    ctc) ;;
    las|joint) extra=(--config "conf_$name.yaml") ;;
    gru|rnn|jordan) extra=(--model.cell "$name") ;;
    *) echo "compare.sh: unknown row $name" >&2; return 2 ;;
  esac
  [ -f "$exp/$name/model.pt" ] && return 0
  asr train --config conf.yaml "${extra[@]}" --out "$exp/$name" --train.max_minutes "$minutes" \
    --train.threads 1 > "$exp/$name.log" 2>&1
}

set -- $rows
while [ $# -gt 0 ]; do  # two at a time, one core each
  log "training $1 ${2:-} ($minutes minutes each)"
  train_row "$1" & first=$!
  if [ $# -gt 1 ]; then train_row "$2" & second=$!; wait $second; shift; fi
  wait $first; shift
done
if [ ! -f "$exp/lm.pt" ]; then
  log "training the LSTM language model on the training transcripts"
  asr lm train data/manifests/train.jsonl --tokenizer "$exp/ctc/model.pt" --out "$exp/lm.pt" \
    --lm.hidden 256 --lm.embed_dim 64 --lm.max_minutes 4 > "$exp/lm.log" 2>&1
fi

score() {  # label model decoding-args... -> one table row: CER / WER per set, RTF on test
  local label=$1 model=$2; shift 2
  local cells="" test_rtf="" set cer wer rtf
  for set in test test-natural test-open; do
    read -r cer wer rtf < <(asr evaluate --model "$exp/$model/model.pt" "data/manifests/$set.jsonl" \
      --out "$exp/hyps/${label// /_}/$set.jsonl" "$@" 2>/dev/null \
      | awk '/ utterances /{for (i = 1; i < NF; i++) { if ($i == "WER") w = $(i+1); if ($i == "CER") c = $(i+1);
                                                      if ($i == "RTF") r = $(i+1) }; print c, w, r}')
    cells+=" $cer / $wer |"
    [ "$set" = test ] && test_rtf=$rtf
  done
  echo "| $label |$cells $test_rtf |"
}

log "scoring"
lm=(--lm "$exp/lm.pt" --lm-weight "$lm_weight")
{
  echo "| model, decoder | test CER / WER | test-natural CER / WER | test-open CER / WER | RTF (test) |"
  echo "|---|---|---|---|---|"
  [[ " $rows " == *" ctc "* ]] && score "CTC greedy" ctc && score "CTC beam 10" ctc --decode beam \
    && score "CTC beam 10 + LM" ctc --decode beam "${lm[@]}"
  [[ " $rows " == *" las "* ]] && score "LAS beam 10" las
  [[ " $rows " == *" joint "* ]] && score "joint greedy (CTC head)" joint --decode greedy \
    && score "joint beam 10" joint && score "joint attention rescoring 10" joint --decode rescore \
    && score "joint beam 10 + LM" joint "${lm[@]}"
  for cell in gru rnn jordan; do
    [[ " $rows " == *" $cell "* ]] && score "CTC greedy, $cell encoder" "$cell"
  done
  true
} | tee "$exp/RESULTS.md"
log "table in $exp/RESULTS.md"
