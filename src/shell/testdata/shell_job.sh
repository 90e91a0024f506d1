#!/bin/bash
# custom flag line

# dpdispatcher job dpd-819459b829f6 of run 8da05a4fe70efe93; attempt number in $1 or $DPD_ATTEMPT
dpd_attempt="${1:-${DPD_ATTEMPT:-0}}"
set --
dpd_root=/work/project
dpd_prefix=/work/project/.dpdispatcher/8da05a4fe70efe93/819459b829f6001b."$dpd_attempt"
dpd_tasks="$dpd_root/.dpdispatcher/tasks"
[ -d "$dpd_tasks" ] || mkdir -p "$dpd_tasks" || exit 1
# Each attempt runs at most once, even if submitted twice: creating .run is the lock.
set -C
# It holds who runs the attempt, for recovery.
if ! { echo "$$" > "$dpd_prefix.run"; } 2>/dev/null; then echo "attempt $dpd_attempt of dpd-819459b829f6 already ran" >&2; exit 0; fi
set +C
printf -v dpd_start '%(%s)T' -1
cd "$dpd_root" || exit 1

module purge
module unload singularity
module load singularity/3.0.0
source ./slurm_test.env
export DPDISPATCHER_NUMBER_NODE=1
export DPDISPATCHER_CPU_PER_NODE=4
export DPDISPATCHER_GPU_PER_NODE=2
export DPDISPATCHER_QUEUE_NAME=debug
export DPDISPATCHER_GROUP_SIZE=2
export DP_DISPATCHER_EXPORT=test_foo_bar_baz
export PATH="/opt/x bin:$PATH"
export MULTI=a
export MULTI=b
echo before

dpd_ready() { # task hash, task dir, errlog: false if it already exited 0
  local rc=
  [ -f "$dpd_tasks/$1.rc" ] && read -r rc < "$dpd_tasks/$1.rc"
  [ "$rc" = 0 ] && return 1
  [ -d "$dpd_root/$2" ] || mkdir -p "$dpd_root/$2" || return 1
  [ -s "$dpd_root/$2/$3" ] && wc -c < "$dpd_root/$2/$3" >| "$dpd_tasks/$1.errpos"
  return 0
}
dpd_run() { # task hash, task dir, function, errlog
  dpd_ready "$1" "$2" "$4" || return 0
  # A set -e from prependScript stops the task at its first failure, not the job before the code is kept.
  local e=$-
  set +e
  ( case $e in *e*) set -e;; esac; cd "$dpd_root/$2" && "$3" < /dev/null )
  echo "$?" >| "$dpd_tasks/$1.rc"
  case $e in *e*) set -e;; esac
}
dpd_last() { # like dpd_run, in this shell: exit or set -e in the task ends in dpd_exit
  dpd_ready "$1" "$2" "$4" || return 0
  dpd_last_task=$1
  # A signal (time limit, scancel, sbatch --signal) ends the job by that signal, with no exit
  # code and no end file, as it ended a subshell's parent: the scheduler then says why. Left
  # untrapped, bash would run the EXIT trap with the status of the last finished command.
  for dpd_s in HUP INT TERM USR1 USR2 ALRM PIPE XCPU XFSZ VTALRM PROF; do trap "dpd_killed $dpd_s" "$dpd_s"; done
  trap 'dpd_exit $?' EXIT
  cd "$dpd_root/$2" && "$3" < /dev/null
  dpd_code=$?
  trap - EXIT HUP INT TERM USR1 USR2 ALRM PIPE XCPU XFSZ VTALRM PROF
  set +eu
  cd "$dpd_root" && echo "$dpd_code" >| "$dpd_tasks/$1.rc"
}
dpd_exit() { # the last task called exit, or set -e stopped it: keep its code and finish the job
  trap - EXIT HUP INT TERM USR1 USR2 ALRM PIPE XCPU XFSZ VTALRM PROF
  set +eu
  cd "$dpd_root" && echo "$1" >| "$dpd_tasks/$dpd_last_task.rc"
  dpd_finish
  exit
}
dpd_killed() { # re-raise it; a task forked just as it came missed it, so when this shell leads
  # its process group (setsid, Slurm) the group gets it: that group is this job alone
  trap - EXIT HUP INT TERM USR1 USR2 ALRM PIPE XCPU XFSZ VTALRM PROF
  local pgrp= x
  { read -r x x x x pgrp x < "/proc/$$/stat"; } 2>/dev/null # pid (comm) state ppid pgrp
  [ "$pgrp" = "$$" ] && kill -s "$1" -- "-$$"
  kill -s "$1" "$$"
}
dpd_end() { # (task hash, task dir, errlog)...; the end file is written last, in one write, ending in a marker
  local failed="" failed_err="" failed_pos=0 rc now out
  printf -v now '%(%s)T' -1
  out="dpd-end 1"$'\n'"start $dpd_start"$'\n'"end $now"$'\n'
  while [ $# -ge 3 ]; do
    rc=-
    [ -f "$dpd_tasks/$1.rc" ] && read -r rc < "$dpd_tasks/$1.rc"
    out+="rc $1 $rc"$'\n'
    if [ "$rc" != 0 ] && [ -z "$failed" ]; then
      failed=$1; failed_err="$dpd_root/$2/$3"; failed_pos=0
      [ -f "$dpd_tasks/$1.errpos" ] && read -r failed_pos < "$dpd_tasks/$1.errpos"
    fi
    shift 3
  done
  if [ -n "$failed" ]; then
    out+="--- stderr $failed"$'\n'"$(tail -c +$((failed_pos + 1)) "$failed_err" 2>/dev/null | tail -n 20 | tail -c 2000)"$'\n'
  fi
  printf '%sdpd-end-ok\n' "$out" >| "$dpd_prefix.end"
  [ -z "$failed" ]
}

dpd_t0() {
  export CUDA_VISIBLE_DEVICES=0
  { cat example.txt

  } >>out.txt 2>>err
}
dpd_t1() {
  export CUDA_VISIBLE_DEVICES=0
  export OMP_NUM_THREADS=2
  { lmp -i input.lammps

  } >>log 2>>err
}

dpd_run f6686e0e97318726 'dir with '\''quote'\''' dpd_t0 err &
dpd_run db49621f6f563206 bct-0 dpd_t1 err &
wait
echo after
dpd_end f6686e0e97318726 'dir with '\''quote'\''' err db49621f6f563206 bct-0 err
