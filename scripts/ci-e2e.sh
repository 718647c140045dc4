#!/usr/bin/env bash
# End-to-end tests of the VS Code extension for CI: code-server (installed once into .cache by
# e2e-setup.sh), the packaged .vsix, Debian's chromium. Needs: apt-get install -y chromium libkrb5-dev
# build-essential python3 pkg-config (the setup script says exactly what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/e2e-setup.sh
npm run package
rm -rf test-artifacts/runs
npx vitest run --config test/e2e/vitest.config.ts
# Each run leaves its user-data/extensions/home dirs in test-artifacts/runs; the screenshots stay.
rm -rf test-artifacts/runs
echo "ci-e2e: screenshots in test-artifacts/"
