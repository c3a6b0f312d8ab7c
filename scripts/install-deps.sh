#!/usr/bin/env bash
# Installs the Debian packages listed in deps/debian-packages.txt that are missing,
# then the web app's npm packages (web/package-lock.json, with `npm ci`) when
# web/node_modules does not hold exactly that lockfile's packages.
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
# Node.js and npm: any Node.js 18 or newer will do (Debian 12's is 18). A machine
# whose nodejs came from elsewhere (NodeSource's carries its own npm) keeps it:
# Debian's npm package would fight it, so these two are asked for only when missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

install_npm_packages() {
  # The lockfile's hash, written after a successful `npm ci`: the same hash means done.
  local stamp="$here/web/node_modules/.tally-lockfile-sha256"
  local want
  want=$(sha256sum "$here/web/package-lock.json" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  echo "install-deps: npm ci in web/ (the packages of web/package-lock.json)" >&2
  (cd "$here/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" > "$stamp"
}

if [ ${#missing[@]} -eq 0 ]; then
  install_npm_packages
  exit 0
fi
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
install_npm_packages
