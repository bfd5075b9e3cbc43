#!/usr/bin/env bash
# The GPU figures of docs/benchmarks.md in one run, for a machine with a
# CUDA GPU (a few minutes on an H100-class GPU):
#
#   bash tools/analysis_tools/gpu_benchmarks.sh [OUT_DIR]
#
# - inference, model only: FPN-MobileNet and FPN-MobileNet-DSC at 736x1280
#   (720p padded to a multiple of 32), fp16, batch 1 and 8
#   (benchmark.py, with the fp32 speed-up);
# - video end to end: a 720p H.264 clip with audio, decoded, deblurred in
#   fp16 and encoded, against the model alone, batch 1 and 8
#   (video_benchmark.py);
# - training: samples/s of the GoPro MobileNet config at 256x256, batch 8,
#   fp32 and AMP (benchmark_train.py).
#
# Every result is a JSON file in OUT_DIR (default: gpu_benchmarks/), and
# the text reports go to OUT_DIR/log.txt. One failing measurement is
# reported and the others still run; the exit status is the number that
# failed. DEVICE=cpu SIZE="64 64" VIDEO_SIZE="64 64" FRAMES=2
# TRAIN_SIZE="64 64" TRAIN_EXTRA="--frame-shape 64 64 --pairs 1
# --num-workers 0" runs the same commands on tiny inputs on the CPU (a dry
# run of the script itself).
set -u
out=${1:-gpu_benchmarks}
device=${DEVICE:-cuda}
size=${SIZE:-736 1280}
video_size=${VIDEO_SIZE:-720 1280}
frames=${FRAMES:-64}
train_size=${TRAIN_SIZE:-256 256}
train_extra=${TRAIN_EXTRA:-}
py=${PYTHON:-python}
tools=$(dirname "$0")
mkdir -p "$out"
log=$out/log.txt
failed=0

run() {  # run NAME FLAG COMMAND...: one measurement; FLAG names the
    # tool's JSON output option, given $out/NAME.json
    local name=$1 flag=$2
    shift 2
    echo "== $name: $*" | tee -a "$log"
    if ! "$@" "$flag" "$out/$name.json" >>"$log" 2>&1; then
        echo "!! $name failed (see $log)" | tee -a "$log"
        failed=$((failed + 1))
    fi
}

if [ "$device" != cpu ]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version \
        --format=csv >>"$log" 2>&1
fi
for model in mobilenet mobilenet_dsc; do
    config=configs/deblurganv2_${model}_gopro.py
    dtype=fp16
    [ "$device" = cpu ] && dtype=fp32
    for batch in 1 8; do
        interleave=(--interleave-fp32)
        [ "$dtype" = fp32 ] && interleave=()
        run "infer_${model}_${dtype}_b${batch}" --out \
            "$py" "$tools/benchmark.py" "$config" --device "$device" \
            --dtype "$dtype" --shape $size --batch-size "$batch" \
            --repeat 20 --warmup 3 "${interleave[@]}"
        run "video_${model}_${dtype}_b${batch}" --out \
            "$py" "$tools/video_benchmark.py" "$config" --device "$device" \
            --dtype "$dtype" --size $video_size --frames "$frames" \
            --batch-size "$batch" --rounds 2
    done
done
config=configs/deblurganv2_mobilenet_gopro.py
run train_mobilenet_fp32_b8 --json "$py" "$tools/benchmark_train.py" "$config" \
    --device "$device" --shape $train_size --batch-size 8 --iters 10 \
    --warmup 2 $train_extra
if [ "$device" != cpu ]; then
    run train_mobilenet_amp_b8 --json "$py" "$tools/benchmark_train.py" "$config" \
        --device "$device" --shape $train_size --batch-size 8 --iters 10 \
        --warmup 2 --amp $train_extra
fi
echo "done: $failed failed; results in $out/" | tee -a "$log"
exit "$failed"
