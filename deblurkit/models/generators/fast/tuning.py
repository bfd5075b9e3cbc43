"""The fast path's machine-dependent constants, and how they were chosen.

None of these changes what the fast path computes: each picks one of two
exact ways of computing the same thing (only the float rounding differs,
within the 1e-4 the tests allow), by what was faster on the machine they
were measured on:

    2 vCPUs of an Intel Xeon (KVM guest, AVX-512 with FMA), torch 2.14.1
    with oneDNN 3.12, 2 threads, the CPU allocator tuned; a dense 3x3
    convolution with 128 channels ran at about 220 GMAC/s.

On another CPU they may no longer be the best choice (a different speed
ratio of arithmetic to memory traffic moves the crossovers), never a wrong
one. To re-tune, change one and compare with the commands of
docs/benchmarks.md (``tools/analysis_tools/benchmark.py ... --shape 736
1280`` and ``--shape 256 256``, fast path) before and after; the
fast-path tests check that the results stay within tolerance.
"""

# ---- the cost model of TopDownConv's folded form (generator.py) ----------
# Per output pixel, the folded form costs more MACs and less memory traffic
# than the direct form; it is chosen where MACs / MAC_RATE + bytes /
# BYTE_RATE is smaller. MAC_RATE: what the 3x3 and phase convolutions of
# the FPN reached in channels-last oneDNN on that machine (140 - 220 GMAC/s
# in per-module timings). BYTE_RATE: the effective rate at which a
# materialised float32 map is written and read back there (a rough figure
# from the same timings, memory-bound depthwise/1x1 layers). Only their
# ratio matters: with it, the dense FPNs take the folded form everywhere
# and MobileNet-DSC only for smooth2 (its lateral folded, the 60 MB maps
# saved), which the 736x1280 benchmark of MobileNet-DSC measured faster
# than the direct form there.
MAC_RATE = 180e9
BYTE_RATE = 10e9

# ---- per-image statistics (layers.py) -------------------------------------
# From this many pixels on, a channels-last float32 map takes its sums by
# blocked matrix products (_blocked_sums: one read, nothing written)
# instead of pairwise float32 sums of x and x * x (a squared copy written
# and read). Below it the few extra calls per norm were not worth it on
# small maps; no timing of the exact crossover is recorded, so this is a
# rounded choice, to be checked with the 256x256 and 736x1280 runs.
BLOCKED_STATS_PIXELS = 1 << 15
# Rows per block of _blocked_sums (each block's sum is one product with a
# vector of ones), and columns per Gram product of its sums of squares
# (16 float32 = one 64-byte cache line per row; 32 from 128 channels on).
# Chosen, not swept: any value gives the same sums to about 1e-7.
STATS_BLOCK_ROWS = 256
STATS_GROUP_COLUMNS = 16

# ---- statistics of an expanding 1x1 convolution from its input ------------
# From this many output values (pixels x channels) on, MobileNetV2's
# expanding 1x1 convolutions fold the per-image norm into the image's
# weights (FusedConv._image_affine_weights); below, the dozen small
# operations that takes cost more than the passes over the output it saves:
# FPN-MobileNet at 256x256 took 28.5 ms with the covariance path everywhere
# and 23.7 ms with this threshold, in one process.
GRAM_STATS_ELEMENTS = 1 << 20
# Rows per float32 block of the Gram matrix in _mean_and_covariance (the
# blocks are added in float64; relative error about 1e-6). Chosen, not
# swept: fewer rows make more calls, more rows round more in float32.
GRAM_BLOCK_ROWS = 2048
