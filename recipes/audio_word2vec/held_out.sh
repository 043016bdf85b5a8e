#!/usr/bin/env bash
# Segment vectors on voices no part of training heard: every pair of FSDD speakers in turn is held
# out of training, and the pair's recordings are both the queries and the collection searched
# (run.sh --search held-out), vectors (sa, dsa, cae) beside DTW on the same frames.
#
#   bash recipes/audio_word2vec/held_out.sh FSDD_RECORDINGS [--minutes M] [--seed N] [--exp DIR]
#                                           [--with CONF.yaml] [--pairs A-B,C-D]
#
# --pairs names the groups held out (default: every pair); a group may be one speaker ("theo") or
# more joined by '-', its recordings searched among themselves as a pair's are.
# With FSDD's four speakers each pair's models train on the other two: pessimistic on purpose, as
# a user's new voices are. Each pair is one run.sh run into EXP/A-B (default EXP: exp/held_out);
# a pair already scored is not run again. Writes EXP/RESULTS.md: MAP and same-different AP per
# pair, their mean, and the search times. --with adds a config to every model's training.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
minutes=4 seed=0 exp="" pairs="" data_dir="" with=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --exp) exp=$2; shift 2 ;;
    --pairs) pairs=${2//,/ }; shift 2 ;;
    --with) with+=(--with "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    -*) echo "held_out.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -d "$1" ] || { echo "held_out.sh: no such folder: $1" >&2; exit 2; }; data_dir=$(cd "$1" && pwd); shift ;;
  esac
done
[ -n "$data_dir" ] || { echo "usage: bash recipes/audio_word2vec/held_out.sh FSDD_RECORDINGS" >&2; exit 2; }
recordings=$data_dir; [ -d "$data_dir/recordings" ] && recordings=$data_dir/recordings
speakers=$(find "$recordings" -maxdepth 1 -name '[0-9]_*_*.wav' -printf '%f\n' | sed -E 's/^[0-9]_(.+)_[0-9]+\.wav$/\1/' | sort -u)
[ "$(echo "$speakers" | grep -c .)" -ge 3 ] || { echo "held_out.sh: needs FSDD recordings of at least 3 speakers in $data_dir" >&2; exit 2; }
if [ -z "$pairs" ]; then
  pairs=$(echo "$speakers" | awk '{s[NR] = $0} END {for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) print s[i] "-" s[j]}')
fi
cd "$here"
exp=${exp:-exp/held_out}
bash "$root/scripts/setup.sh"
for pair in $pairs; do
  [ -f "$exp/$pair/RESULTS.md" ] && continue
  echo "[$(date +%T)] held_out: $pair held out of training"
  bash "$here/run.sh" "$data_dir" --stage 1 --test-speaker "${pair//-/,}" --search held-out --minutes "$minutes" \
    --seed "$seed" --exp "$exp/$pair" --data "$exp/$pair/data" "${with[@]}"
done
"$root/.venv/bin/python" - "$exp" $pairs <<'EOF' | tee "$exp/RESULTS.md"
import json, sys
import numpy as np
exp, pairs = sys.argv[1], sys.argv[2:]
methods = {"DTW (frames)": ("sa", "dtw"), "sa": ("sa", "vectors"), "dsa": ("dsa", "vectors"), "cae": ("cae", "vectors")}
table = {m: {p: json.load(open(f"{exp}/{p}/{name}.qbe.json"))["methods"][key] for p in pairs}
         for m, (name, key) in methods.items()}
print(f"# Held-out speakers: MAP / same-different AP, each group's recordings searched among themselves\n")
print("| method | " + " | ".join(pairs) + " | mean | search s (mean) |")
print("|---|" + "---|" * (len(pairs) + 2))
for m, by_pair in table.items():
    cells = [f"{by_pair[p]['map']:.3f} / {by_pair[p]['same_different_ap']:.3f}" for p in pairs]
    mean_map = np.mean([by_pair[p]["map"] for p in pairs])
    mean_ap = np.mean([by_pair[p]["same_different_ap"] for p in pairs])
    search = np.mean([by_pair[p]["search_seconds"] for p in pairs])
    print(f"| {m} | " + " | ".join(cells) + f" | **{mean_map:.3f} / {mean_ap:.3f}** | {search:.3f} |")
dtw = table["DTW (frames)"]
for m in ("sa", "dsa", "cae"):
    above = sum(table[m][p]["map"] >= dtw[p]["map"] for p in pairs)
    print(f"\n{m}: MAP at or above DTW's on {above} of {len(pairs)} pairs", end="")
print()
EOF
