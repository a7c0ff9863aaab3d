#!/usr/bin/env bash
# Check a built Threadloom .deb the way a user would meet it, without installing it.
#
#   packaging/check-deb.sh dist/threadloom_VERSION_ARCH.deb
#
# 1. contents: the bundle, the /usr/bin link, desktop entry, icons, metainfo,
#    the probe's plain sources; no QML/Quick/WebEngine; under 120 MB;
# 2. desktop-file-validate and appstreamcli validate --no-net on the files;
# 3. every library of the bundle resolves (inside it, or from the Depends);
# 4. unpacked with dpkg-deb -x into a temporary root, the frozen app runs the
#    probe itself (threads and a process pool: freeze support), runs it
#    under an external python3 from its plain sources, and takes a headless
#    screenshot that must be 1600x900 and not blank; no process outlives it.
# Needs: dpkg-deb, desktop-file-utils, appstream, binutils, python3 and the
# package's Depends (see docs/install.md); xvfb and xauth for the xcb check.
set -euo pipefail

deb=${1:?usage: check-deb.sh PACKAGE.deb}
here=$(cd "$(dirname "$0")" && pwd)
app_id=io.github.threadloom.Threadloom
max_bytes=$((120 * 1024 * 1024))

fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "check-deb: ok: $*"; }

for tool in dpkg-deb desktop-file-validate appstreamcli ldd python3; do
    command -v "$tool" >/dev/null || fail "$tool not found (apt-get install dpkg desktop-file-utils appstream libc-bin python3)"
done
[ -f "$deb" ] || fail "$deb: no such file"

size=$(stat -c %s "$deb")
[ "$size" -lt "$max_bytes" ] || fail "$deb is $((size / 1024 / 1024)) MB, over the 120 MB budget"
ok "size $(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1048576 }')"

listing=$(dpkg-deb -c "$deb")
require() {
    grep -qE "$1" <<<"$listing" || fail "the package has no $2"
}
require ' \./opt/threadloom/threadloom$' "/opt/threadloom/threadloom executable"
require ' \./usr/bin/threadloom -> /opt/threadloom/threadloom$' "/usr/bin/threadloom link to /opt/threadloom/threadloom"
require " \./usr/share/applications/$app_id\.desktop$" "desktop entry"
require " \./usr/share/metainfo/$app_id\.metainfo\.xml$" "AppStream metainfo"
require " \./usr/share/icons/hicolor/scalable/apps/$app_id\.svg$" "scalable icon"
for px in 48 128 256; do
    require " \./usr/share/icons/hicolor/${px}x${px}/apps/$app_id\.png$" "${px}x${px} icon"
done
for src in __init__.py wire/__init__.py wire/format.py probe/__init__.py probe/__main__.py probe/main.py probe/models/threads.py; do
    require " \./opt/threadloom/_internal/probe-src/threadloom/$src$" "plain probe source $src"
done
require ' \./opt/threadloom/_internal/threadloom/resources/presets/cpu-bound\.toml$' "presets"
require " \./opt/threadloom/_internal/threadloom/resources/icons/$app_id\.svg$" "icons in the resources"
if grep -qE 'libQt6(Qml|Quick|WebEngine|3D|Multimedia|Pdf|Designer|VirtualKeyboard)' <<<"$listing"; then
    fail "unused Qt modules were bundled: $(grep -oE 'libQt6(Qml|Quick|WebEngine|3D|Multimedia|Pdf|Designer|VirtualKeyboard)[^ ]*' <<<"$listing" | sort -u | tr '\n' ' ')"
fi
grep -q '^ *Depends: .*libegl1' < <(dpkg-deb -I "$deb") || fail "control file has no Depends on Qt's system libraries"
ok "contents"

work=$(mktemp -d "${TMPDIR:-/tmp}/threadloom-check.XXXXXX")
cleanup() {
    # Leave no process of the unpacked app behind, even when a check failed half-way.
    local pids
    pids=$(pgrep -f "$work/root/opt/threadloom" || true)
    [ -z "$pids" ] || kill $pids 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
dpkg-deb -x "$deb" "$root"

desktop-file-validate "$root/usr/share/applications/$app_id.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net "$root/usr/share/metainfo/$app_id.metainfo.xml" || fail "appstreamcli validate"
grep -q "^Icon=$app_id$" "$root/usr/share/applications/$app_id.desktop" || fail "desktop entry's Icon is not $app_id"
grep -q "^Exec=threadloom gui$" "$root/usr/share/applications/$app_id.desktop" || fail "desktop entry's Exec is not 'threadloom gui'"
grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$root/usr/share/metainfo/$app_id.metainfo.xml" ||
    fail "metainfo's launchable does not name $app_id.desktop"
ok "desktop entry and metainfo validate"

bundle=$root/opt/threadloom
missing=$(find "$bundle" -type f \( -name '*.so' -o -name '*.so.*' -o -path "$bundle/threadloom" \) -print0 |
    xargs -0 -n 20 env LD_LIBRARY_PATH="$bundle/_internal" ldd 2>/dev/null | awk '/not found/ { print $1 }' | sort -u | tr '\n' ' ')
[ -z "$missing" ] || fail "libraries not found (install the package's Depends): $missing"
ok "every bundled library resolves"

app=$bundle/threadloom
cd "$work"
# A link, as /usr/bin/threadloom is: the bootloader must find its bundle through it.
mkdir -p bin && ln -s "$app" bin/threadloom
bin/threadloom --version | grep -q '^threadloom ' || fail "threadloom --version through a symlink"
bin/threadloom presets | grep -q '^cpu-bound ' || fail "threadloom presets does not list cpu-bound"

json_check() {  # FILE MODEL: the run completed under MODEL with that many tasks finished
    python3 - "$1" "$2" <<'EOF' || fail "$1: not the metrics of a complete $2 run"
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
assert len(runs) == 1 and runs[0]["model"] == sys.argv[2] and runs[0]["complete"], runs
assert runs[0]["makespan_ms"] > 0, runs
print(runs[0]["interpreter"]["path"])
EOF
}
timeout 300 "$app" run cpu-bound --model threads --json threads.json --quiet
[ "$(json_check threads.json threads)" = "$app" ] || fail "the threads run did not use the bundled interpreter"
ok "frozen probe: cpu-bound under threads"
# Through the link again: the workers are spawned from sys.executable, which must be the real program.
timeout 300 bin/threadloom run cpu-bound --model process-pool --pool-size 2 --json pool.json --quiet
[ "$(json_check pool.json process-pool)" = "$app" ] || fail "the process-pool run did not use the bundled interpreter"
ok "frozen probe: cpu-bound under a process pool (spawned workers), started through a link"
timeout 300 "$app" run convoy --model threads --json convoy.json --quiet
json_check convoy.json threads >/dev/null
ok "frozen probe: convoy (echo peer) under threads"
external=$(python3 -c "import sys; print(sys.executable)")
timeout 300 "$app" run cpu-bound --model threads --interpreter python3 --json external.json --quiet
[ "$(json_check external.json threads)" = "$external" ] || fail "--interpreter python3 did not run the probe under $external"
ok "probe from the bundle's plain sources under $external"

if "$app" run --help | grep -q -- '--screenshot'; then
    QT_QPA_PLATFORM=offscreen timeout 300 "$app" run cpu-bound --model threads --quiet --screenshot shot.png
    python3 "$here/check-png.py" shot.png 1600x900 || fail "the frozen app's screenshot"
    cp shot.png "${TMPDIR:-/tmp}/threadloom-check-shot.png"
    ok "headless screenshot (copy in ${TMPDIR:-/tmp}/threadloom-check-shot.png)"
    # The same under a real X server proves the xcb platform plugin loads with the Depends' libraries.
    if command -v xvfb-run >/dev/null; then
        xvfb-run -a -s "-screen 0 1920x1080x24 -nolisten tcp" env QT_QPA_PLATFORM=xcb \
            timeout 300 "$app" run cpu-bound --model threads --quiet --screenshot shot-xcb.png
        python3 "$here/check-png.py" shot-xcb.png 1600x900 || fail "the frozen app's screenshot under Xvfb (xcb)"
        ok "screenshot under Xvfb with the xcb platform plugin"
    else
        echo "check-deb: skipped: no xvfb-run (apt-get install xvfb xauth) for the xcb check"
    fi
else
    echo "check-deb: skipped: this build's 'run' has no --screenshot yet"
fi

sleep 0.5
leftover=$(pgrep -f "$root/opt/threadloom" || true)
[ -z "$leftover" ] || fail "processes of the frozen app still run after it exited: $leftover"
ok "no process left behind"
echo "check-deb: all checks passed for $deb"
