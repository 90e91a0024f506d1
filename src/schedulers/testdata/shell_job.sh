#!/bin/bash
# custom flag line

# dpdispatcher job dpd-819459b829f6 of run 8da05a4fe70efe93; attempt number in $1 or $DPD_ATTEMPT
dpd_attempt="${1:-${DPD_ATTEMPT:-0}}"
dpd_root=/work/project
dpd_adir=/work/project/.dpdispatcher/8da05a4fe70efe93/819459b829f6001b."$dpd_attempt"
mkdir -p "$dpd_adir" || exit 1
if ! mkdir "$dpd_adir/run" 2>/dev/null; then echo "attempt $dpd_attempt of dpd-819459b829f6 already ran" >&2; exit 0; fi
dpd_start=$(date +%s)
cd "$dpd_root" || exit 1

export DPDISPATCHER_NUMBER_NODE=1
export DPDISPATCHER_CPU_PER_NODE=4
export DPDISPATCHER_GPU_PER_NODE=2
export DPDISPATCHER_QUEUE_NAME=debug
export DPDISPATCHER_GROUP_SIZE=2
module purge
module unload singularity
module load singularity/3.0.0
source ./slurm_test.env
export DP_DISPATCHER_EXPORT="test_foo_bar_baz"
export PATH="/opt/x bin:$PATH"
export MULTI="a"
export MULTI="b"
echo before

dpd_run() { # task hash, task dir, function, errlog
  local rc_file="$dpd_root/$2/.dpdispatcher/$1.rc"
  if [ -f "$rc_file" ] && [ "$(cat "$rc_file")" = 0 ]; then return 0; fi
  mkdir -p "$dpd_root/$2/.dpdispatcher" || return 1
  wc -c < "$dpd_root/$2/$4" > "$dpd_root/$2/.dpdispatcher/$1.errpos" 2>/dev/null || echo 0 > "$dpd_root/$2/.dpdispatcher/$1.errpos"
  ( cd "$dpd_root/$2" && "$3" < /dev/null )
  local rc=$?
  echo "$rc" > "$rc_file.tmp" && mv -f "$rc_file.tmp" "$rc_file"
}
dpd_end() { # (task hash, task dir, errlog)...; writes the end file last, atomically
  local failed="" failed_err="" failed_pos=0 rc
  {
    echo "dpd-end 1"
    echo "start $dpd_start"
    echo "end $(date +%s)"
    while [ $# -ge 3 ]; do
      rc=$(cat "$dpd_root/$2/.dpdispatcher/$1.rc" 2>/dev/null) || rc=-
      echo "rc $1 $rc"
      if [ "$rc" != 0 ] && [ -z "$failed" ]; then
        failed=$1; failed_err="$dpd_root/$2/$3"
        failed_pos=$(cat "$dpd_root/$2/.dpdispatcher/$1.errpos" 2>/dev/null) || failed_pos=0
      fi
      shift 3
    done
    if [ -n "$failed" ]; then
      echo "--- stderr $failed"
      tail -c +$((failed_pos + 1)) "$failed_err" 2>/dev/null | tail -n 20 | tail -c 2000
    fi
  } > "$dpd_adir/end.tmp" && mv -f "$dpd_adir/end.tmp" "$dpd_adir/end"
  [ -z "$failed" ]
}

dpd_t0() {
  export CUDA_VISIBLE_DEVICES=0
  { cat example.txt
  } >>out.txt 2>>err
}
dpd_t1() {
  export CUDA_VISIBLE_DEVICES=1
  export OMP_NUM_THREADS="2"
  { lmp -i input.lammps
  } >>log 2>>err
}

dpd_run f6686e0e97318726 'dir with '\''quote'\''' dpd_t0 err &
dpd_run db49621f6f563206 bct-0 dpd_t1 err &
wait
echo after
dpd_end f6686e0e97318726 'dir with '\''quote'\''' err db49621f6f563206 bct-0 err
