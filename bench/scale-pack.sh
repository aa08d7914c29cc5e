#!/usr/bin/env bash
# A model pack at the paper's scale for `npm run bench:worker`: ResNet-50, 224 px, the 1000 ImageNet classes, 28x28
# maps, random init (timing needs no trained weights, and none can be downloaded here). Made with the same commands
# as your own classifier (README), in a temp folder: a ~200 MB pack is never committed. Prints the bench command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d "${TMPDIR:-/tmp}/ttame-scale-XXXXXX")}"
mkdir -p "$out/photos"
tar -xf "$root/../shared/images/imagenet-samples.tar" -C "$out/photos"
cd "$out"
"$root/scripts/ttame" train-attention --backbone resnet50 --data photos --limit 16 --epochs 1 --batch-size 8 --out run >/dev/null
"$root/scripts/ttame" export --checkpoint run/attention.pt --out models/resnet50-scale --id resnet50-scale
echo "MODELS_DIR=$out/models npm run bench:worker -- --model resnet50-scale --batches 1,8 --clients 1,4,16 --baseline-runs 1"
