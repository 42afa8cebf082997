#!/usr/bin/env bash
# Build the PyInstaller one-folder bundle and check it with its own --self-test (offscreen).
#
#   packaging/build_bundle.sh            -> dist/mana-desktop/{mana-desktop,mana-desktop-gui}
#
# Needs the project's venv (python3 run.py test creates it) plus PyInstaller, which is not a
# project dependency: the script installs it into the venv when missing (PYINSTALLER_SPEC
# overrides the requirement, e.g. "pyinstaller==6.11.1").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
cd "$ROOT"

if [[ ! -x "$PY" ]]; then
    echo "no Python at $PY: run 'python3 run.py test' first, or set PYTHON" >&2
    exit 2
fi
if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
    echo "+ installing ${PYINSTALLER_SPEC:-pyinstaller} into the venv (build-time only)"
    "$PY" -m pip install -q "${PYINSTALLER_SPEC:-pyinstaller>=6.10,<7}"
fi

echo "+ rendering icons"
"$PY" packaging/render_icons.py build/icons/hicolor --ico build/icons/mana-desktop.ico >/dev/null

echo "+ PyInstaller"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/mana-desktop.spec

echo "+ self-test of the bundle (offscreen)"
BUNDLE_HOME="$(mktemp -d)"
trap 'rm -rf "$BUNDLE_HOME"' EXIT
env QT_QPA_PLATFORM=offscreen XDG_DATA_HOME="$BUNDLE_HOME" MANA_DESKTOP_KEYRING=file \
    dist/mana-desktop/mana-desktop --self-test
echo "bundle: $ROOT/dist/mana-desktop"
