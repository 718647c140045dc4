#!/usr/bin/env bash
# End-to-end tests of the VS Code extension for CI: code-server (installed once into .cache by
# e2e-setup.sh), the packaged .vsix, Debian's chromium. Needs: apt-get install -y chromium libkrb5-dev
# build-essential python3 pkg-config (the setup script says exactly what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="$PWD/test-artifacts/runs"

# However the run ends (failure, Ctrl-C), stop what this run started — the code-servers, their
# extension hosts and runners, chromium — found by the per-run dirs under $RUNS in their command
# lines, then drop those dirs. The screenshots stay.
cleanup() {
  local pids
  pids="$(pgrep -f "$RUNS/" || true)"
  if [ -n "$pids" ]; then kill $pids 2>/dev/null || true; fi
  rm -rf "$RUNS"
}
trap cleanup EXIT

bash scripts/e2e-setup.sh
npm run package
# Screenshots of an earlier run must not pass for this run's.
mkdir -p test-artifacts && rm -f test-artifacts/*.png
rm -rf "$RUNS"
npx vitest run --config test/e2e/vitest.config.ts
echo "ci-e2e: screenshots in test-artifacts/"
