#!/usr/bin/env bash
# Audio Word2Vec: spoken words -> 100-dim vectors, scored by query-by-example against frame-level DTW.
#
#   bash recipes/audio_word2vec/run.sh DATA_DIR [--test-speaker SPK] [--minutes M] [--align-model CTC.pt]
#                                      [--seed N] [--exp DIR] [--data DIR] [--search all|held-out]
#                                      [--with CONF.yaml] [--stage N] [--stop-stage N]
#
# DATA_DIR is an FSDD recordings folder ({digit}_{speaker}_{take}.wav; each file is one word) or a
# LibriSpeech-layout tree (SPEAKER/CHAPTER/*.flac + *.trans.txt), whose utterances are cut into word
# segments by CTC forced alignment (asr align) with --align-model, or, without one, with a character
# CTC model the recipe first fits to the same utterances (conf_align.yaml).
# One speaker is held out of training (--test-speaker; FSDD: theo, or several: A,B; LibriSpeech: the
# speaker with the most segments): its segments query all segments (--search all), or with
# --search held-out only the held-out speakers' segments are embedded, and each queries the others
# (no voice heard in training anywhere in the collection; held_out.sh runs this over every pair of
# FSDD speakers). A retrieved segment is relevant when it is the same word. Takes 0-4 of the other FSDD speakers (one segment in ten for LibriSpeech) pick the
# best checkpoint by dev same-different AP.
# Stages: 0 set-up; 1 prepare (and align) -> data/CORPUS/; 2 train sa and dsa side by side (one thread
# each, --minutes each, default 4), then cae from the sa (--minutes, two threads) -> EXP/{sa,dsa,cae}/
# model.pt; 3 embed every segment with each model, score it and the DTW baseline (asr qbe) ->
# EXP/RESULTS.md, and a map of the cae's vectors coloured by word -> EXP/map.png. EXP is --exp,
# by default exp/CORPUS (fsdd or librispeech); the manifests go to --data, by default data/CORPUS.
# --with CONF.yaml (repeatable) adds a config to all three models' training (an experiment).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
stage=0 stop_stage=3 minutes=4 test_speaker="" align_model="" data_dir="" seed=0 exp="" data="" search=all
with=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --exp) exp=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --search) search=$2; shift 2 ;;
    --with) with+=(--config "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
    --test-speaker) test_speaker=$2; shift 2 ;;
    --align-model) align_model=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -d "$1" ] || { echo "run.sh: no such folder: $1" >&2; exit 2; }; data_dir=$(cd "$1" && pwd); shift ;;
  esac
done
case "$search" in all|held-out) ;; *) echo "run.sh: --search is all or held-out, not $search" >&2; exit 2 ;; esac
[ -n "$data_dir" ] || { echo "usage: bash recipes/audio_word2vec/run.sh DATA_DIR (FSDD recordings or LibriSpeech layout)" >&2; exit 2; }
cd "$here"
log() { echo "[$(date +%T)] audio_word2vec stage $*"; }
asr() { "$root/.venv/bin/asr" "$@"; }
python() { "$root/.venv/bin/python" "$@"; }

if find "$data_dir" -maxdepth 2 -name '[0-9]_*_*.wav' -print -quit | grep -q .; then
  corpus=fsdd features=(--features.sample_rate 8000 --features.n_fft 256)
  test_speaker=${test_speaker:-theo}
elif find "$data_dir" -maxdepth 4 -name '*.trans.txt' -print -quit | grep -q .; then
  corpus=librispeech features=()
else
  echo "run.sh: $data_dir is neither FSDD recordings nor a LibriSpeech-layout tree" >&2; exit 2
fi

data=${data:-data/$corpus}  # manifests and segments of this corpus
exp=${exp:-exp/$corpus}

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
  log "0: set-up"
  bash "$root/scripts/setup.sh"
fi

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  if [ $corpus = fsdd ]; then
    log "1: FSDD manifests, speaker $test_speaker held out"
    asr prepare fsdd "$data_dir" --out "$data" --test-speakers "$test_speaker" --test-takes none --dev-takes 0-4
  else
    log "1: LibriSpeech manifests"
    asr prepare librispeech "$data_dir" --out "$data/utterances"
    cat "$data"/utterances/*.jsonl > "$data/utterances.jsonl"
    if [ -z "$align_model" ]; then
      align_model=$here/exp/align/model.pt
      if [ ! -f exp/align/.done ]; then
        log "1: fitting a character CTC model to the utterances, to align them (conf_align.yaml)"
        asr train --config conf_align.yaml --out exp/align --data.train "$data/utterances.jsonl" \
          --data.dev "$data/utterances.jsonl"
        touch exp/align/.done
      fi
    fi
    log "1: cutting word segments by CTC forced alignment ($align_model)"
    asr align --model "$align_model" "$data/utterances.jsonl" --out "$data/all.jsonl" --min-duration 0.2
    python - "$data" "$test_speaker" <<'EOF'
import sys, zlib
from collections import Counter
from asr.data.manifest import read_manifest, write_manifest
data = sys.argv[1]
segments = read_manifest(f"{data}/all.jsonl")
speaker = sys.argv[2] or Counter(s.speaker for s in segments).most_common(1)[0][0]
rest = [s for s in segments if s.speaker != speaker]
dev = [s for s in rest if zlib.crc32(s.id.encode()) % 10 == 0]  # one in ten, the same on every run
write_manifest(f"{data}/test_speaker.jsonl", [s for s in segments if s.speaker == speaker])
write_manifest(f"{data}/dev.jsonl", dev)
write_manifest(f"{data}/train.jsonl", [s for s in rest if s not in dev])
print(f"{len(segments)} segments: {len(segments) - len(rest)} of speaker {speaker} held out, "
      f"{len(rest) - len(dev)} train, {len(dev)} dev")
open(f"{data}/test_speaker.txt", "w").write(speaker + "\n")
EOF
  fi
fi
[ -f "$data/test_speaker.txt" ] && test_speaker=$(cat "$data/test_speaker.txt")

train() {  # name, extra args...: trains $exp/NAME unless it is done
  local name=$1; shift
  [ -f "$exp/$name/.done" ] && return 0
  asr train --config conf.yaml "$@" "${with[@]}" "${features[@]}" --data.train "$data/train.jsonl" --data.dev "$data/dev.jsonl" \
    --out "$exp/$name" --train.max_minutes "$minutes" --train.seed "$seed" > "$exp/$name.log" 2>&1
  touch "$exp/$name/.done"
}

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  mkdir -p "$exp"
  log "2: training sa and dsa side by side ($minutes minutes each; logs in $exp/sa.log, $exp/dsa.log)"
  train sa & sa_pid=$!
  train dsa --config conf_dsa.yaml & dsa_pid=$!
  wait $sa_pid; wait $dsa_pid
  log "2: training cae from the sa ($minutes minutes)"
  train cae --config conf_cae.yaml --model.init_from "$exp/sa/model.pt" --train.threads 2
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  if [ $search = held-out ]; then  # only the held-out voices, each segment querying all the others
    collection=$data/test_speaker.jsonl queries=()
    log "3: embedding speaker $test_speaker's segments and scoring query-by-example among them"
  else
    collection=$data/all.jsonl queries=(--queries-speaker ${test_speaker//,/ })
    log "3: embedding every segment and scoring query-by-example (queries: speaker $test_speaker)"
  fi
  for name in sa dsa cae; do
    asr embed --model "$exp/$name/model.pt" --manifest "$collection" --out "$exp/vectors/$name" | tee "$exp/$name.embed.txt"
    map=(); [ $name = cae ] && map=(--map "$exp/map.png")
    dtw=(); [ $name = sa ] && dtw=(--dtw "$exp/sa/model.pt")  # DTW on the same frames the models read
    asr qbe --vectors "$exp/vectors/$name.npy" --index "$exp/vectors/$name.jsonl" "${queries[@]}" \
      "${dtw[@]}" "${map[@]}" --json "$exp/$name.qbe.json" | tee "$exp/$name.qbe.txt"
  done
  python - "$corpus" "$test_speaker" "$exp" "$search" <<'EOF' > "$exp/RESULTS.md"
import json, re, sys
corpus, speaker, exp, search = sys.argv[1:]
where = "among themselves" if search == "held-out" else "over all segments"
print(f"# Audio Word2Vec on {corpus}: queries are speaker {speaker}'s segments, searched {where}\n")
print("| method | MAP | same-different AP | search s | embedding s |")
print("|---|---|---|---|---|")
rows = {}
for name in ("sa", "dsa", "cae"):
    result = json.load(open(f"{exp}/{name}.qbe.json"))
    seconds = re.search(r"embedded in ([0-9.]+) s", open(f"{exp}/{name}.embed.txt").read()).group(1)
    for method, figures in result["methods"].items():
        label = name if method == "vectors" else "DTW (frames)"
        rows[label] = (figures, seconds if method == "vectors" else "")
for label in ("DTW (frames)", "sa", "dsa", "cae"):
    if label in rows:
        m, seconds = rows[label]
        print(f"| {label} | {m['map']:.3f} | {m['same_different_ap']:.3f} | {m['search_seconds']:.3f} | {seconds} |")
EOF
  cat "$exp/RESULTS.md"
fi
