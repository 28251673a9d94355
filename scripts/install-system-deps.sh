#!/usr/bin/env bash
# Installs the real servers the test suite drives (BIND, Exim, PostgreSQL, Chromium, nginx), from
# Debian's packages. Needs root; does nothing when everything is already there.
set -euo pipefail

need=()
command -v named >/dev/null || need+=(bind9)
command -v named-checkzone >/dev/null || need+=(bind9-utils)
command -v dig >/dev/null || need+=(bind9-dnsutils)
command -v exim >/dev/null || need+=(exim4-daemon-light)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v unshare >/dev/null || need+=(util-linux)
command -v chromium >/dev/null || need+=(chromium)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v nginx >/dev/null || need+=(nginx)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v visudo >/dev/null || need+=(sudo)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "The tests need these Debian packages: ${need[*]}; run 'make test' as root or install them." >&2
  exit 1
fi
echo "Installing ${need[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
