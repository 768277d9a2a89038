#!/usr/bin/env bash
# Builds the Debian packages (weft, weft-dev) from a copy of the tree, checks them with lintian
# (no errors), installs them, checks weftd stays stopped without a config, and purges them.
# Needs root and the build dependencies (scripts/install-deps.sh --package). Prints what failed.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/weft-pkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/weft"
git ls-files -z | xargs -0 cp --parents -t "$work/weft"
cd "$work/weft"
dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; echo "package: dpkg-buildpackage failed"; exit 1; }
cd "$work"
lintian --tag-display-limit 0 weft_*.changes >"$work/lintian.log" 2>&1 || true
if grep -q '^E: ' "$work/lintian.log"; then
    grep '^E: ' "$work/lintian.log"
    echo "package: lintian reports errors"
    exit 1
fi
dpkg -i weft_*_amd64.deb weft-dev_*_amd64.deb >/dev/null
test -x /usr/sbin/weftd && test -x /usr/bin/weftctl
test -f /usr/share/dbus-1/system.d/org.weft.Weft1.conf
test -f /usr/lib/x86_64-linux-gnu/weft/plugins/vpn-egress.so
pkg-config --exists weft-plugin
/usr/sbin/weftd --help >/dev/null 2>&1 || /usr/sbin/weftd --version >/dev/null
if pgrep -x weftd >/dev/null && ! [ -e /etc/weft/weftd.conf ]; then
    echo "package: weftd was started without a config"
    exit 1
fi
dpkg --purge weft-dev weft >/dev/null
if [ -e /usr/sbin/weftd ] || [ -e /usr/share/dbus-1/system.d/org.weft.Weft1.conf ]; then
    echo "package: files left after purge"
    exit 1
fi
echo "package: weft and weft-dev built, lintian clean of errors, installed and purged"
