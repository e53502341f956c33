#!/usr/bin/env bash
# One time-boxed, two-stage training run on a lent GPU machine (README, "Training on a lent
# GPU"): the regularised recipe from scratch on 128 crops, then 256 crops from its best
# weights. Both stages decay their learning rate on the clock, so they end decayed whatever
# the throughput. Reads .pack/train (parts of `python -m training.pack`), .pack/val and, if
# present, wheels in .whl/; writes the release-format weights of both stages, stage 1's
# full-precision weights (split in two, for fine-tuning elsewhere), the logs and cards to $OUT.
#
# Knobs (environment): S1_MIN, S2_MIN (minutes per stage), EXTRA (overrides for both
# stages), EXTRA1, EXTRA2 (for one stage), RUNS (run folders), PY (the Python to use).
set -euo pipefail
: "${OUT:?set OUT to the folder whose files come back}"
S1_MIN=${S1_MIN:-5}
S2_MIN=${S2_MIN:-1.5}
RUNS=${RUNS:-runs/gpu}
PY=${PY:-python3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYTHONUNBUFFERED=1

if compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
mkdir -p "$OUT" "$RUNS"
exec > >(tee -a "$OUT/run.log") 2>&1
date -u
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "no GPU"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
# Each part travels in its own call; a machine given back between calls loses the earlier ones.
"$PY" - <<'EOF'
import json, pathlib, sys
root = pathlib.Path(".pack/train")
s = json.loads((root / "summary.json").read_text())
missing = [p["name"] for p in s["parts"] if not (root / p["name"] / "pack.json").is_file()]
if missing:
    sys.exit(f"pack parts missing on this machine: {missing}; carry each in its own call")
print(s["photos"], "photos in", len(s["parts"]), "parts")
EOF

# Leave two cores to the main process and the GPU feeder; the rest decode and simulate.
workers=$(( $(nproc) - 2 ))
(( workers < 1 )) && workers=1
# Worker batches pass through /dev/shm (~0.7 GB in flight at these settings); containers
# often give it 64 MB, and then workers die with a bus error.
shm_mb=$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 {print $2}')
echo "/dev/shm: ${shm_mb:-?} MB"
if [[ -n "$shm_mb" ]] && (( shm_mb < 4096 )); then
  mount -o remount,size=16G /dev/shm 2>/dev/null && echo "/dev/shm enlarged to 16G" ||
    echo "warning: /dev/shm is small and could not be enlarged"
fi
# The shipped weights' recipe (their model card's history), from scratch: L1 x6, a quarter of
# the samples with 10-100 points, hint attention, dropout and weight decay.
common=(net.hint_attn=true net.dropout=0.1 attn_lr=1 weight_decay=0.2 reg_weight=6
        p_points_many=0.25 crop_scale_min=0.5 ema=0.999 "workers=$workers" threads=2
        decay_by_time=true log_every=100)
# shellcheck disable=SC2206  # the overrides are meant to split on spaces
s1=(crop=128 batch=32 lr=3e-4 steps=15000 lr_decay_steps=15000 val_every=1000
    ckpt_every=5000 "max_minutes=$S1_MIN" ${EXTRA:-} ${EXTRA1:-})
# shellcheck disable=SC2206
s2=(crop=256 batch=16 lr=1e-4 warmup_steps=100 steps=6000 lr_decay_steps=6000 val_every=500
    ckpt_every=2000 "max_minutes=$S2_MIN" "init=$RUNS/s1/best.safetensors" ${EXTRA:-}
    ${EXTRA2:-})

train() {  # run folder, overrides...
  local run=$1
  shift
  rm -rf "$run"
  "$PY" -m training.cli --no-progress --data .pack/train --val .pack/val --out "$run" \
    "${common[@]}" "$@"
}
export_stage() {  # s1 or s2: release weights into $OUT
  mkdir -p "$RUNS/export"
  "$PY" -m training.cli --out "$RUNS/$1" --export "$RUNS/export/$1.safetensors"
  cp "$RUNS/export/$1.safetensors" "$OUT/"
}
pack_text() {  # logs, configs and cards of whatever ran, also when a later step failed
  shopt -s nullglob
  local files=("$RUNS"/export/*.md "$RUNS"/export/*.config.json "$RUNS"/s?/log.jsonl
               "$RUNS"/s?/*.json)
  (( ${#files[@]} )) && tar -czf "$OUT/text.tar.gz" "${files[@]}"
  date -u
}
trap pack_text EXIT

train "$RUNS/s1" "${s1[@]}"
export_stage s1
# Stage 1 at full precision (fp16, 25 MB): over the 16 MiB a returned file may have.
split -b 15M "$RUNS/s1/best.safetensors" "$OUT/s1-best.safetensors.part-"
train "$RUNS/s2" "${s2[@]}"
export_stage s2
# A first screen against the shipped weights, scored on this machine in the same precision:
# the held-out column is the val photos outside the training-time subset. Ship only on the
# CPU's `python -m training.fit_gap` (fp32), as ever.
"$PY" -m training.fit_gap --device auto --no-baselines --train .pack/train --val .pack/val \
  "$OUT/s1.safetensors" "$OUT/s2.safetensors" "$ROOT/resources/weights/huebrush-default.safetensors" \
  | tee "$RUNS/export/fit_gap.md" || echo "the fit_gap screen failed; score on the CPU instead"
