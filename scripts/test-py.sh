#!/usr/bin/env bash
# The Python half of `npm test`: training/ tests with Debian's torch (installed on first use); arguments pick tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "${@:-training/tests}"
