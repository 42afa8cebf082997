#!/usr/bin/env bash
# Package the PyInstaller bundle as a .deb with dpkg-deb (no root needed).
#
#   packaging/build_deb.sh [--bundle DIR] [--out DIR]
#
# Layout: the bundle in /opt/mana-desktop, launchers /usr/bin/mana-desktop and
# /usr/bin/mana-desktop-gui, the .desktop entry, AppStream metainfo and hicolor icons under
# /usr/share. Build the bundle first with packaging/build_bundle.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
BUNDLE="$ROOT/dist/mana-desktop"
OUT="$ROOT/dist"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bundle) BUNDLE="$(cd "$2" && pwd)"; shift 2 ;;
        --out) mkdir -p "$2"; OUT="$(cd "$2" && pwd)"; shift 2 ;;
        *) echo "usage: $0 [--bundle DIR] [--out DIR]" >&2; exit 2 ;;
    esac
done
if [[ ! -x "$BUNDLE/mana-desktop" ]]; then
    echo "no bundle at $BUNDLE (missing mana-desktop): run packaging/build_bundle.sh first" >&2
    exit 2
fi
command -v dpkg-deb >/dev/null || { echo "dpkg-deb not found (apt install dpkg)" >&2; exit 2; }

VERSION="$("$PY" -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["project"]["version"])' "$ROOT/pyproject.toml")"
ARCH="${DEB_ARCH:-$(dpkg --print-architecture)}"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/mana-desktop_${VERSION}_${ARCH}"

install -d "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
    "$PKG/usr/share/metainfo" "$PKG/usr/share/icons/hicolor/scalable/apps" \
    "$PKG/usr/share/doc/mana-desktop"
cp -a "$BUNDLE" "$PKG/opt/mana-desktop"

# Launchers are scripts, not symlinks: the bundle finds its files next to the real binary.
for name in mana-desktop mana-desktop-gui; do
    target="/opt/mana-desktop/$name"
    [[ -x "$BUNDLE/$name" ]] || target="/opt/mana-desktop/mana-desktop"
    extra=""
    [[ "$name" == "mana-desktop-gui" && ! -x "$BUNDLE/$name" ]] && extra=" app"
    printf '#!/bin/sh\nexec %s%s "$@"\n' "$target" "$extra" > "$PKG/usr/bin/$name"
    chmod 0755 "$PKG/usr/bin/$name"
done

install -m 0644 "$ROOT/resources/linux/mana-desktop.desktop" "$PKG/usr/share/applications/"
install -m 0644 "$ROOT/resources/linux/io.mana.Desktop.metainfo.xml" "$PKG/usr/share/metainfo/"
install -m 0644 "$ROOT/resources/icons/mana-desktop.svg" "$PKG/usr/share/icons/hicolor/scalable/apps/"
"$PY" "$ROOT/packaging/render_icons.py" "$PKG/usr/share/icons/hicolor" >/dev/null
printf 'Mana Desktop %s\nLicense: MIT\n' "$VERSION" > "$PKG/usr/share/doc/mana-desktop/copyright"

SIZE_KB="$(du -sk "$PKG" | cut -f1)"
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: mana-desktop
Version: $VERSION
Section: utils
Priority: optional
Architecture: $ARCH
Installed-Size: $SIZE_KB
Depends: libc6, libgl1, libegl1, libfontconfig1, libfreetype6, libdbus-1-3, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0
Recommends: libgtk-3-0
Maintainer: Mana Desktop contributors <mana-desktop@users.noreply.github.com>
Homepage: https://github.com/Memo-2023/mana-monorepo
Description: review AI mission proposals offline, synced with Mana
 Mana Desktop keeps a local SQLite replica of your Mana data, shows AI mission
 proposals as cards in each module's inbox and syncs your decisions with
 mana-sync. Includes a one-command demo with an embedded server.
CONTROL
cat > "$PKG/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
    command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
exit 0
POSTINST
cp "$PKG/DEBIAN/postinst" "$PKG/DEBIAN/postrm"
sed -i 's/"\$1" = "configure"/"$1" = "remove"/' "$PKG/DEBIAN/postrm"
chmod 0755 "$PKG/DEBIAN/postinst" "$PKG/DEBIAN/postrm"

mkdir -p "$OUT"
DEB="$OUT/mana-desktop_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
