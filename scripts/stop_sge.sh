#!/usr/bin/env bash
# Stop the Grid Engine daemons that scripts/start_sge.sh started -- and nothing else.
# start_sge.sh records each daemon it starts in $DPD_SGE_DIR/NAME.started (default dir
# /var/tmp/dpd-sge) as "PIDFILE PID"; a daemon is stopped only if its pid file still names that
# pid and /proc shows a live (not zombie) process called sge_NAME. Order: execd, then qmaster.
# SIGTERM is the same orderly shutdown as `qconf -ke` / `qconf -km`: jobs that are running keep
# running under their sge_shepherd and are picked up again by the next sge_execd.
# Idempotent: nothing running is not an error. Exit 1 if a daemon would not die.
set -uo pipefail

DIR=${DPD_SGE_DIR:-/var/tmp/dpd-sge}
[[ $(id -u) -eq 0 ]] || {
  echo "[stop_sge] ERROR: must run as root" >&2
  exit 1
}

alive() { # alive PID COMM: a live (not zombie: PID 1 here reaps slowly) process called COMM
  local stat comm
  { read -r stat <"/proc/$1/stat" && read -r comm <"/proc/$1/comm"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != [ZX] && $comm == "$2" ]]
}
pid_in() { # pid_in PIDFILE: the pid it names, or nothing
  local pid=""
  { read -r pid <"$1"; } 2>/dev/null || true
  [[ $pid =~ ^[0-9]+$ ]] && echo "$pid"
}

rc=0
for name in execd qmaster; do
  comm=sge_$name rec=$DIR/$name.started pidfile="" pid=""
  [[ -f $rec ]] || continue
  read -r pidfile pid <"$rec" || true
  cur=$(pid_in "$pidfile") || cur=""
  if [[ -z $pid ]] || ! alive "$pid" "$comm"; then
    echo "[stop_sge] $comm: not running" >&2
    # a stale pid file is removed only if it still names our (dead) process
    [[ -n $cur && $cur == "$pid" ]] && rm -f "$pidfile"
    rm -f "$rec"
    continue
  fi
  if [[ $cur != "$pid" ]]; then
    echo "[stop_sge] $comm: pid $pid no longer matches $pidfile ('$cur'); not ours, leaving it" >&2
    rm -f "$rec"
    continue
  fi
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 150; i++)); do
    alive "$pid" "$comm" || break
    sleep 0.1
  done
  if alive "$pid" "$comm"; then
    echo "[stop_sge] $comm ($pid) ignored SIGTERM for 15 s: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null
    sleep 0.5
  fi
  if alive "$pid" "$comm"; then
    echo "[stop_sge] ERROR: $comm ($pid) still running" >&2
    rc=1
    continue
  fi
  rm -f "$rec"
  [[ $(pid_in "$pidfile") == "$pid" ]] && rm -f "$pidfile"
  echo "[stop_sge] stopped $comm ($pid)" >&2
done
exit $rc
