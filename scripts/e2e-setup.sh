#!/usr/bin/env bash
# Installs what the end-to-end tests need, idempotently:
#   - code-server@4.100.3 (VS Code 1.100.3, the newest that accepts Node 20) into .cache/code-server
#   - checks that Debian's chromium is at /usr/bin/chromium and prints the apt-get line if not.
# Facts behind each step: shared/E2E.md beside the checkout (measured on these machines).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="$ROOT/.cache"
CS_VERSION="4.100.3"
CS_DIR="$CACHE/code-server"
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"

missing_apt=()
[ -x /usr/bin/chromium ] || missing_apt+=(chromium)
# code-server's native modules (node-pty, spdlog, kerberos, argon2) build from source.
if [ ! -f "$CS_BIN" ]; then
  command -v g++ >/dev/null || missing_apt+=(build-essential)
  command -v python3 >/dev/null || missing_apt+=(python3)
  command -v pkg-config >/dev/null || missing_apt+=(pkg-config)
  [ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/krb5.h ] || missing_apt+=(libkrb5-dev)
fi
if [ ${#missing_apt[@]} -gt 0 ]; then
  # Debian's packages are reachable from these machines: install them when we may (root), else say how.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "e2e-setup: installing ${missing_apt[*]} with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_apt[@]}" >/dev/null
  else
    echo "e2e-setup: missing system packages. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing_apt[*]}" >&2
    exit 1
  fi
fi

if [ -f "$CS_BIN" ] && [ "$(node -p "require('$CS_DIR/node_modules/code-server/package.json').version")" = "$CS_VERSION" ]; then
  echo "e2e-setup: code-server $CS_VERSION already in $CS_DIR"
  exit 0
fi

mkdir -p "$CS_DIR"
TMP_BASE="${TMPDIR:-/tmp}"

# code-server 4.100.3 pins @vscode/ripgrep@1.15.11, whose postinstall downloads from
# api.github.com (unreachable here). Seed its cache with the rg binary from the npm registry.
RG_CACHE="$TMP_BASE/vscode-ripgrep-cache-1.15.11"
RG_TGZ="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$RG_TGZ" ]; then
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent @vscode/ripgrep-linux-x64@1.18.0 >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$RG_CACHE"
  tar czf "$RG_TGZ" -C "$work/package/bin" rg
  rm -rf "$work"
fi

echo "e2e-setup: installing code-server@$CS_VERSION into $CS_DIR (a few minutes)"
[ -f "$CS_DIR/package.json" ] || echo '{ "name": "e2e-code-server", "private": true }' > "$CS_DIR/package.json"
(
  cd "$CS_DIR"
  export npm_config_yes=true          # node-pty's build runs `npx node-gyp`; the machine's npm has yes=false
  export npm_config_nodedir=/usr      # use /usr/include/node instead of downloading headers
  export npm_config_unsafe_perm=true  # its postinstall refuses to run as root otherwise
  npm install --no-audit --no-fund --no-save "code-server@$CS_VERSION"
)
[ -f "$CS_BIN" ] || { echo "e2e-setup: code-server install failed" >&2; exit 1; }
echo "e2e-setup: code-server $CS_VERSION ready"
