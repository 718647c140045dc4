#!/usr/bin/env bash
# Builds the .vsix: production build, esbuild's JS API + native binary copied into dist/esbuild
# (the runner compiles user models with it; see src/extension/packaging.ts for the measurements behind
# shipping the native binary instead of esbuild-wasm), the library's declarations (dist/types) and the
# TypeScript server plugin as node_modules/gradient-lens-ts-plugin (VS Code loads a contributed plugin
# by package name from the extension's node_modules), then `vsce package --target`.
# Usage: npm run package [-- <vsce target, default linux-x64>]
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${1:-linux-x64}"
OUT="${VSIX_OUT:-$PWD/gradient-lens-$TARGET.vsix}"

ROOT="$PWD"
# Other work in this tree may rebuild dist/ (dev builds) at any moment: package from a private staging
# copy taken right after the production build, and check that what was copied is the minified build.
STAGE="$ROOT/.cache/vsix-stage"
node scripts/build.mjs --production
# The declarations go to the stage directly (the single source: the same tsc run as `npm run build`).
rm -rf "$STAGE" && mkdir -p "$STAGE/dist/runner" "$STAGE/dist/webview"
node_modules/.bin/tsc -p tsconfig.types.json --outDir "$STAGE/dist/types"
cp dist/extension.js "$STAGE/dist/"
cp dist/runner/worker.js "$STAGE/dist/runner/"
cp dist/webview/main.js "$STAGE/dist/webview/"
cp -r dist/templates "$STAGE/dist/templates"
PLUGIN="$STAGE/node_modules/gradient-lens-ts-plugin"
mkdir -p "$PLUGIN" && cp dist/ts-plugin/index.js "$PLUGIN/index.js"
for f in dist/extension.js dist/runner/worker.js dist/webview/main.js node_modules/gradient-lens-ts-plugin/index.js; do
  if [ "$(head -c 2000 "$STAGE/$f" | head -n 1 | wc -c)" -lt 1000 ]; then
    echo "package: $f is not the minified build (a concurrent dev build overwrote dist/?); run again" >&2
    exit 1
  fi
done
cp -r package.json README.md LICENSE CHANGELOG.md .vscodeignore media "$STAGE/"
mkdir -p "$STAGE/examples" && cp examples/*.ts "$STAGE/examples/" 2>/dev/null || true
cd "$STAGE"
# The plugin's package.json, and the staged manifest's dependencies reduced to it: vsce (in npm mode)
# packs exactly the production dependencies that `npm list` finds, and esbuild is shipped in dist/esbuild.
node -e '
const fs = require("fs");
const version = require("./package.json").version;
fs.writeFileSync("node_modules/gradient-lens-ts-plugin/package.json", JSON.stringify({ name: "gradient-lens-ts-plugin", version, private: true, main: "index.js", license: "MIT" }, null, 2));
const pkg = require("./package.json");
pkg.dependencies = { "gradient-lens-ts-plugin": version };
// The files list serves npm pack; the .vsix takes its files from .vscodeignore.
delete pkg.files;
fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2));
'

ESB_VERSION="$(node -p "require('$ROOT/node_modules/esbuild/package.json').version")"
mkdir -p dist/esbuild/lib dist/esbuild/bin
cp "$ROOT/node_modules/esbuild/lib/main.js" dist/esbuild/lib/main.js
cp "$ROOT/node_modules/esbuild/package.json" dist/esbuild/package.json
case "$TARGET" in
  win32-*) BIN=esbuild.exe ;;
  *) BIN=esbuild ;;
esac
PLATFORM_PKG="@esbuild/$TARGET"
SRC_BIN="$ROOT/node_modules/$PLATFORM_PKG/bin/$BIN"
[ "$BIN" = esbuild.exe ] && SRC_BIN="$ROOT/node_modules/$PLATFORM_PKG/$BIN"
if [ ! -f "$SRC_BIN" ]; then
  # Another platform's binary: fetch that exact version's package from the npm registry.
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$PLATFORM_PKG@$ESB_VERSION" >/dev/null && tar xzf ./*.tgz)
  SRC_BIN="$tmp/package/${SRC_BIN#$ROOT/node_modules/$PLATFORM_PKG/}"
fi
cp "$SRC_BIN" "dist/esbuild/bin/$BIN"
chmod 755 "dist/esbuild/bin/$BIN"

"$ROOT/node_modules/.bin/vsce" package --target "$TARGET" --out "$OUT"
ls -la "$OUT"
