#!/usr/bin/env bash
# Debian packages the tests need: the PyTorch stack for training/ (PyPI is unreachable on our machines), with
# OpenBLAS (without it Debian's torch falls back to the reference BLAS, ~30x slower), curl and jq for the
# walk-through scripts of docs/walkthroughs/, and chromium for the demo page's browser tests (tests/browser, driven
# by playwright-core; no browser is downloaded). Idempotent.
set -euo pipefail
packages=(python3-torch python3-torchvision python3-onnx python3-pytest python3-scipy libopenblas0-pthread curl jq chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
