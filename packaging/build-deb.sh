#!/usr/bin/env bash
# Wrap the PyInstaller bundle in a Debian package.
#
#   packaging/build-deb.sh BUNDLE_DIR OUT_DIR
#
# BUNDLE_DIR is PyInstaller's one-folder output (build/dist/threadloom);
# the .deb lands in OUT_DIR as threadloom_VERSION_ARCH.deb and its path is
# printed last. `make package` runs the PyInstaller step first.
#
# Layout: the bundle in /opt/threadloom, /usr/bin/threadloom linking to it,
# the desktop entry, hicolor icons (SVG and 48/128/256 PNG) and AppStream
# metainfo under /usr/share. The Depends are the system libraries Qt loads
# but PyInstaller does not bundle (GL, EGL, Wayland, the xcb helpers); the
# rest of Qt's dependencies travel inside the bundle.
set -euo pipefail

bundle=${1:?usage: build-deb.sh BUNDLE_DIR OUT_DIR}
out=${2:?usage: build-deb.sh BUNDLE_DIR OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
app_id=io.github.threadloom.Threadloom

[ -x "$bundle/threadloom" ] || { echo "build-deb.sh: $bundle/threadloom missing; run PyInstaller first (make package)" >&2; exit 1; }
for tool in dpkg-deb dpkg readelf strip; do
    command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool not found (apt-get install dpkg-dev binutils)" >&2; exit 1; }
done

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$repo/app/threadloom/__init__.py")
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "build-deb.sh: no __version__ in app/threadloom/__init__.py" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/threadloom-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root/opt" "$root/usr/bin" "$root/usr/share/applications" "$root/usr/share/metainfo" \
    "$root/usr/share/doc/threadloom" "$root/DEBIAN"

cp -a "$bundle" "$root/opt/threadloom"

# Interpreters built from source (pyenv) ship libpython and its extension
# modules with debug info: 30 MB nobody installing a desktop app needs.
# Only those are touched; other libraries keep exactly the bytes their wheels shipped.
find "$root/opt/threadloom" -type f \( -name 'libpython3*.so*' -o -path '*/lib-dynload/*.so' \) -print0 |
    while IFS= read -r -d '' lib; do
        if readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
            strip --strip-debug "$lib"
        fi
    done

# Debian's modes: 755 folders and programs, 644 for everything else (shared libraries too).
find "$root" -type d -exec chmod 755 {} +
find "$root/opt" -type f -exec chmod 644 {} +
chmod 755 "$root/opt/threadloom/threadloom"
ln -s /opt/threadloom/threadloom "$root/usr/bin/threadloom"

install -m 644 "$here/linux/$app_id.desktop" "$root/usr/share/applications/$app_id.desktop"
install -m 644 "$here/linux/$app_id.metainfo.xml" "$root/usr/share/metainfo/$app_id.metainfo.xml"
install -D -m 644 "$repo/resources/icons/$app_id.svg" "$root/usr/share/icons/hicolor/scalable/apps/$app_id.svg"
for size in 48 128 256; do
    install -D -m 644 "$repo/resources/icons/$app_id-$size.png" "$root/usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: Threadloom"
    echo "Source: https://github.com/threadloom/threadloom"
    echo
    echo "Files: *"
    echo "License: MIT"
    sed 's/^/ /; s/^ $/ ./' "$repo/LICENSE"
    echo
    echo "Comment: /opt/threadloom bundles CPython (PSF-2.0), Qt 6 and PySide6 (LGPL-3.0),"
    echo " NumPy (BSD-3-Clause), pyqtgraph (MIT), qasync (BSD-2-Clause) and DejaVu fonts;"
    echo " their licence texts are in /opt/threadloom/_internal next to each component."
} > "$root/usr/share/doc/threadloom/copyright"
chmod 644 "$root/usr/share/doc/threadloom/copyright"

installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
# Every system library Qt may load, from the one list the app checks at start (app/threadloom/syslibs.py).
read -r -a qt_libs <<< "$(python3 "$(dirname "$0")/../app/threadloom/syslibs.py" --packages)"
depends=("libc6 (>= 2.36)" fontconfig "${qt_libs[@]}")
cat > "$root/DEBIAN/control" <<EOF
Package: threadloom
Version: $version
Architecture: $arch
Maintainer: Threadloom developers <threadloom@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: $(IFS=,; echo "${depends[*]}" | sed 's/,/, /g')
Recommends: python3
Section: devel
Priority: optional
Homepage: https://github.com/threadloom/threadloom
Description: see how Python schedules threads, pools, coroutines and processes
 Threadloom runs real workloads with threads, thread pools, asyncio and
 process pools, records every scheduling state of every task and animates
 it: who holds the GIL, who waits for it, who is blocked or queued.
 .
 The package is self-contained: it bundles its own Python, Qt and NumPy
 under /opt/threadloom. Installed Python interpreters (python3 and others)
 can be measured too.
EOF

mkdir -p "$out"
deb="$out/threadloom_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
