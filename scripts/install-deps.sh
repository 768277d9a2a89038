#!/usr/bin/env bash
# Installs the Debian 12 packages weft needs to build and test. --if-missing: only when a
# marker package is absent (fast path for ./demo and ./check).
set -euo pipefail
PACKAGES=(meson ninja-build pkg-config g++ libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev
  libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libnftnl-dev libmnl-dev libinih-dev
  libboost-dev libboost-filesystem-dev libgtest-dev libgmock-dev libssl-dev nftables iproute2
  wireguard-go wireguard-tools iputils-ping tcpdump socat dbus python3 util-linux procps
  clang-format systemd nlohmann-json3-dev libnetfilter-conntrack-dev
  libnetfilter-log-dev conntrack libyaml-cpp-dev python3-yaml python3-scapy
  libcurl4-openssl-dev etcd-server etcd-client openssl iptables ipset)
if [ "${1:-}" = "--if-missing" ]; then
    missing=0
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || { missing=1; break; }
    done
    [ "$missing" = 0 ] && exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: wireguard-tools would otherwise pull in a kernel image.
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
