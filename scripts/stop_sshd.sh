#!/usr/bin/env bash
# Stop the private test sshd instances that scripts/start_sshd.sh started -- and nothing else.
# Only the pids named in $DPD_SSHD_DIR/NAME/sshd.pid (default dir /var/tmp/dpd-sshd) are
# signalled, and only if /proc shows a live (not zombie) listener started with that instance's
# sshd_config. Open connections (their own sshd processes) are left alone, as with any sshd.
# The state dir (keys, known_hosts, env.json) is kept, so a later start reuses the host keys.
#
# Usage: stop_sshd.sh [target|jump|totp]...   (default: all three)
# Exit 1 if a listener would not die.
set -uo pipefail

DIR=${DPD_SSHD_DIR:-/var/tmp/dpd-sshd}
[[ $(id -u) -eq 0 ]] || {
  echo "[stop_sshd] ERROR: must run as root" >&2
  exit 1
}
NAMES=("$@")
((${#NAMES[@]})) || NAMES=(target jump totp)

alive() { # alive PID NAME: live (not zombie) listener named sshd[-totp] started with NAME's config
  local stat comm args want=sshd
  [[ $2 == totp ]] && want=sshd-totp
  { read -r stat <"/proc/$1/stat" && read -r comm <"/proc/$1/comm" &&
    mapfile -d '' args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != [ZX] && $comm == "$want" && " ${args[*]} " == *" -f $DIR/$2/sshd_config "* ]]
}

rc=0
for n in "${NAMES[@]}"; do
  [[ $n =~ ^(target|jump|totp)$ ]] || {
    echo "[stop_sshd] ERROR: unknown instance '$n' (target|jump|totp)" >&2
    rc=1
    continue
  }
  pidfile=$DIR/$n/sshd.pid
  pid=$(tr -dc '0-9' 2>/dev/null <"$pidfile") || pid=""
  if [[ -z $pid ]] || ! alive "$pid" "$n"; then
    [[ -e $pidfile ]] && echo "[stop_sshd] $n: not running (stale pid file removed)" >&2
    rm -f "$pidfile"
    continue
  fi
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    alive "$pid" "$n" || break
    sleep 0.1
  done
  if alive "$pid" "$n"; then
    echo "[stop_sshd] $n ($pid) ignored SIGTERM for 5 s: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null
    sleep 0.3
  fi
  if alive "$pid" "$n"; then
    echo "[stop_sshd] ERROR: $n ($pid) still running" >&2
    rc=1
    continue
  fi
  rm -f "$pidfile"
  echo "[stop_sshd] stopped $n ($pid)" >&2
done
exit $rc
