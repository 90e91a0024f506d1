#!/usr/bin/env bash
# Stop the daemons that scripts/start_slurm.sh started -- and nothing else.
# start_slurm.sh records every daemon it starts in /var/lib/hpc-slurm/NAME.started as
# "PIDFILE PID"; a daemon is stopped only if its pid file still names that same pid and
# /proc shows a live (non-zombie) process with the expected name.
# Order: slurmd, slurmctld, slurmdbd, mariadbd, munged.  Exit 1 if something would not die.
set -uo pipefail

STATEDIR=/var/lib/hpc-slurm
[[ $(id -u) -eq 0 ]] || {
  echo "[stop_slurm] ERROR: must run as root" >&2
  exit 1
}

alive() { # alive PID COMM
  local stat state
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  state=${stat##*) }
  state=${state%% *}
  [[ $state != Z && $state != X ]] || return 1
  [[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]]
}

rc=0
for name in slurmd slurmctld slurmdbd mariadbd munged; do
  rec=$STATEDIR/$name.started
  [[ -f $rec ]] || continue
  read -r pidfile pid <"$rec" || true
  cur=""
  [[ -n ${pidfile:-} && -s $pidfile ]] && cur=$(tr -dc '0-9' <"$pidfile")
  if [[ -z ${pid:-} ]] || ! alive "$pid" "$name"; then
    echo "[stop_slurm] $name: not running" >&2
    # remove a stale pid file only if it still names our (dead) process
    [[ -n $cur && $cur == "${pid:-}" ]] && rm -f "$pidfile"
    rm -f "$rec"
    continue
  fi
  if [[ $cur != "$pid" ]]; then
    echo "[stop_slurm] $name: pid $pid no longer matches $pidfile ('$cur'); not ours, leaving it" >&2
    rm -f "$rec"
    continue
  fi
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 150; i++)); do
    alive "$pid" "$name" || break
    sleep 0.1
  done
  if alive "$pid" "$name"; then
    echo "[stop_slurm] $name ($pid) ignored SIGTERM for 15 s: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null
    sleep 0.5
  fi
  if alive "$pid" "$name"; then
    echo "[stop_slurm] ERROR: $name ($pid) still running" >&2
    rc=1
    continue
  fi
  rm -f "$rec"
  [[ -s $pidfile && $(tr -dc '0-9' <"$pidfile") == "$pid" ]] && rm -f "$pidfile"
  echo "[stop_slurm] stopped $name ($pid)" >&2
done
exit $rc
