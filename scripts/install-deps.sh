#!/usr/bin/env bash
# Installs the Debian packages listed in deps/debian-packages.txt that are missing.
# Safe to run again and again: it does nothing when everything is present. Needs root
# (or sudo) only when something has to be installed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
missing=()
while read -r package _; do
  case "$package" in ''|'#'*) continue ;; esac
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done < "$here/deps/debian-packages.txt"
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# etcd-server's package starts a default etcd on 127.0.0.1:2379 where an init system
# runs. Tally's validators and tests start their own members, so the install starts
# none: a policy-rc.d that exits 101 forbids starting services while apt-get runs
# (it applies to every package installed in this run). Ours only: one that exists is
# left alone, and ours is removed however the script ends. Running etcd processes are
# not looked at: on a shared machine they are other people's.
policy=/usr/sbin/policy-rc.d
for package in "${missing[@]}"; do
  if [ "$package" = etcd-server ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# install-deps.sh: no service starts during this install\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
done
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
