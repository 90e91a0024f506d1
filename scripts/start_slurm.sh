#!/usr/bin/env bash
# Install (if needed) and start a real single-node Slurm 22.05 cluster with accounting
# (munge + MariaDB + slurmdbd + slurmctld + slurmd) on localhost, on Debian 12, as root,
# WITHOUT systemd: every daemon is started by hand and tracked by its pid file.
#
# Idempotent: daemons that are already running (pid file + /proc state, zombies count as
# dead) are left alone; a config change restarts only the affected Slurm daemons.
# Stop with scripts/stop_slurm.sh (it only stops what this script started).
#
# Environment:
#   HPC_SLURM_CPUS      CPUs declared for the node (default 16; may exceed the real cores)
#   HPC_SLURM_MEM_MODE  memory enforcement: "cgroup" (task/cgroup + ConstrainRAMSpace, the
#                       default when the cgroup v1 memory controller is usable) or "jobacct"
#                       (jobacct_gather/linux polling + OverMemoryKill)
#   HPC_SLURM_TIMEOUT   seconds to wait for the node to become idle (default 30)
set -euo pipefail

CLUSTER=localcluster
NODE=localhost
CPUS=${HPC_SLURM_CPUS:-16}
WAIT=${HPC_SLURM_TIMEOUT:-30}
LOGDIR=/var/log/slurm
RUNDIR=/run/slurm
STATEDIR=/var/lib/hpc-slurm            # where we remember which pids we started
DB_PASS=slurmdbpass
PKGS=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server)
T0=$(date +%s.%N)

MUNGE_PID=/run/munge/munged.pid
MARIADB_PID=/run/mysqld/mysqld.pid
MARIADB_SOCK=/run/mysqld/mysqld.sock
SLURMDBD_PID=$RUNDIR/slurmdbd.pid
SLURMCTLD_PID=$RUNDIR/slurmctld.pid
SLURMD_PID=$RUNDIR/slurmd.pid

log() { printf '[start_slurm] %s\n' "$*" >&2; }
die() {
  printf '[start_slurm] ERROR: %s\n' "$*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ $CPUS =~ ^[1-9][0-9]*$ ]] || die "HPC_SLURM_CPUS must be a positive integer (got '$CPUS')"

# ---------------------------------------------------------------- process helpers
# proc_alive PID COMM: true if PID is a live (not zombie: PID 1 here reaps slowly) process called COMM.
proc_alive() {
  local stat state
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  state=${stat##*) } # field 3 follows the last ") "
  state=${state%% *}
  [[ $state != Z && $state != X ]] || return 1
  [[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]]
}
# pid_alive PIDFILE COMM: true if the pid file names a live process called COMM.
pid_alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  [[ -n $pid ]] && proc_alive "$pid" "$2"
}
pid_of() { tr -dc '0-9' 2>/dev/null <"$1"; }

# remember that we started this daemon (stop_slurm.sh only stops recorded daemons)
# (file $STATEDIR/NAME.started holds "PIDFILE PID")
mark_started() { mkdir -p "$STATEDIR" && echo "$2 $(pid_of "$2")" >"$STATEDIR/$1.started"; }

# stop_pidfile PIDFILE COMM: TERM, wait up to 10 s, then KILL.
stop_pidfile() {
  local f=$1 comm=$2 pid i
  pid=$(pid_of "$f") || pid=""
  if [[ -n $pid ]] && proc_alive "$pid" "$comm"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do # daemons delete their pid file before they exit: watch the pid
      proc_alive "$pid" "$comm" || break
      sleep 0.1
    done
    if proc_alive "$pid" "$comm"; then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$f"
}

# wait_for SECONDS LABEL CMD...: poll CMD every 0.1 s (LABEL only documents the call).
wait_for() {
  local secs=$1 end
  shift 2
  end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.1
  done
}

# ---------------------------------------------------------------- 1. packages
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# apt lists younger than a day that know the packages: no need for apt-get update
apt_lists_fresh() {
  [[ -n $(find /var/lib/apt/lists -maxdepth 1 -name '*InRelease' -mmin -1440 2>/dev/null) ]] &&
    apt-cache show --no-all-versions "${PKGS[@]}" >/dev/null 2>&1
}
apt_install() {
  apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io \
    "${PKGS[@]}" >>"$APTLOG" 2>&1
}
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  APTLOG=/tmp/start_slurm.apt.log
  : >"$APTLOG"
  # man-db's trigger rebuilds the whole man index (8-18 s here): skip it for this install only
  # (the flag file is what man-db's postinst checks; it is put back right after).
  MANDB_FLAG=/var/lib/man-db/auto-update
  mandb_off=0
  if [[ -e $MANDB_FLAG ]]; then
    mv -f "$MANDB_FLAG" "$MANDB_FLAG.start_slurm" && mandb_off=1
    trap '[[ -e $MANDB_FLAG.start_slurm ]] && mv -f "$MANDB_FLAG.start_slurm" "$MANDB_FLAG"' EXIT
  fi
  updated=0
  if ! apt_lists_fresh; then
    apt-get update -q >>"$APTLOG" 2>&1 || {
      tail -20 "$APTLOG" >&2
      die "apt-get update failed (full log: $APTLOG)"
    }
    updated=1
  fi
  if ! apt_install; then
    # stale lists (404 on download)? update once and retry
    if ((updated)) || ! { apt-get update -q >>"$APTLOG" 2>&1 && apt_install; }; then
      tail -30 "$APTLOG" >&2
      die "apt-get install failed (full log: $APTLOG)"
    fi
  fi
  if ((mandb_off)); then mv -f "$MANDB_FLAG.start_slurm" "$MANDB_FLAG"; fi
  trap - EXIT
fi
for b in munged mariadbd slurmdbd slurmctld slurmd sacctmgr sinfo sacct; do
  command -v "$b" >/dev/null || [[ -x /usr/sbin/$b ]] || die "$b not found after install"
done
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

mkdir -p "$LOGDIR" "$RUNDIR" /var/spool/slurmctld /var/spool/slurmd "$STATEDIR"
chmod 755 "$LOGDIR"

# ---------------------------------------------------------------- 2. configuration
# memory enforcement mode
MEM_MODE=${HPC_SLURM_MEM_MODE:-}
cgroup_v1_ok() {
  [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == tmpfs ]] &&
    [[ -w /sys/fs/cgroup/memory/cgroup.procs && -d /sys/fs/cgroup/freezer ]]
}
if [[ -z $MEM_MODE ]]; then
  if cgroup_v1_ok; then MEM_MODE=cgroup; else MEM_MODE=jobacct; fi
fi
case $MEM_MODE in
cgroup | jobacct) ;;
*) die "HPC_SLURM_MEM_MODE must be cgroup or jobacct (got '$MEM_MODE')" ;;
esac

REALMEM=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
[[ -n $REALMEM ]] || REALMEM=$(awk '/^MemTotal:/ {print int($2/1024)}' /proc/meminfo)
DEFMEM=$((REALMEM / CPUS))
((DEFMEM > 0)) || DEFMEM=1

if [[ $MEM_MODE == cgroup ]]; then
  PROCTRACK=proctrack/cgroup
  TASKPLUGIN=task/cgroup
  GATHER_PARAMS=""
else
  PROCTRACK=proctrack/linuxproc
  TASKPLUGIN=task/none
  GATHER_PARAMS="JobAcctGatherParams=OverMemoryKill"
fi

SLURM_CONF=$(
  cat <<EOF
# Generated by scripts/start_slurm.sh (memory mode: $MEM_MODE) -- do not edit by hand
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$SLURMCTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
ProctrackType=$PROCTRACK
TaskPlugin=$TASKPLUGIN
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$DEFMEM
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
$GATHER_PARAMS
JobCompType=jobcomp/filetxt
JobCompLoc=$LOGDIR/jobcomp.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
OverTimeLimit=0
KillWait=5
Waittime=0
MaxArraySize=1001
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$REALMEM State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
)

# RAM+swap limit too (so a job cannot swap instead of being OOM-killed) when memsw exists
SWAP_CONSTRAIN=no
[[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]] && SWAP_CONSTRAIN=yes
CGROUP_CONF=$(
  cat <<EOF
# Generated by scripts/start_slurm.sh
CgroupPlugin=cgroup/v1
CgroupAutomount=no
ConstrainCores=no
ConstrainDevices=no
ConstrainRAMSpace=yes
ConstrainSwapSpace=$SWAP_CONSTRAIN
AllowedRAMSpace=100
AllowedSwapSpace=0
EOF
)

SLURMDBD_CONF=$(
  cat <<EOF
# Generated by scripts/start_slurm.sh -- do not edit by hand
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
PidFile=$SLURMDBD_PID
LogFile=$LOGDIR/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
)

# write_if_changed FILE MODE CONTENT -> returns 0 if the file changed
write_if_changed() {
  local f=$1 mode=$2 content=$3
  if [[ -f $f ]] && [[ $(cat "$f") == "$content" ]]; then
    chmod "$mode" "$f"
    return 1
  fi
  printf '%s\n' "$content" >"$f.tmp.$$"
  chmod "$mode" "$f.tmp.$$"
  mv -f "$f.tmp.$$" "$f"
  return 0
}
mkdir -p /etc/slurm
SLURM_CHANGED=0
DBD_CHANGED=0
write_if_changed /etc/slurm/slurm.conf 644 "$SLURM_CONF" && SLURM_CHANGED=1
if [[ $MEM_MODE == cgroup ]]; then
  write_if_changed /etc/slurm/cgroup.conf 644 "$CGROUP_CONF" && SLURM_CHANGED=1
fi
write_if_changed /etc/slurm/slurmdbd.conf 600 "$SLURMDBD_CONF" && DBD_CHANGED=1

# ---------------------------------------------------------------- 3. munge
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 755 /run/munge
[[ -s /etc/munge/munge.key ]] || {
  log "creating /etc/munge/munge.key"
  (umask 077 && dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none)
  chown munge:munge /etc/munge/munge.key
}
if ! pid_alive $MUNGE_PID munged; then
  log "starting munged"
  rm -f $MUNGE_PID
  runuser -u munge -- /usr/sbin/munged --force --pid-file=$MUNGE_PID \
    --log-file=/var/log/munge/munged.log || die "munged failed to start (see /var/log/munge/munged.log)"
  wait_for 5 munged pid_alive $MUNGE_PID munged || die "munged did not write $MUNGE_PID"
  mark_started munged $MUNGE_PID
fi
wait_for 5 munge sh -c 'munge -n | unmunge' || die "munge -n | unmunge fails"

# ---------------------------------------------------------------- 4. MariaDB
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld
touch $LOGDIR/mariadb.log && chown mysql:mysql $LOGDIR/mariadb.log
if [[ ! -d /var/lib/mysql/mysql ]]; then
  log "initialising MariaDB data directory"
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql >>$LOGDIR/mariadb.log 2>&1 ||
    die "mariadb-install-db failed (see $LOGDIR/mariadb.log)"
fi
if ! pid_alive $MARIADB_PID mariadbd; then
  log "starting mariadbd"
  rm -f $MARIADB_PID $MARIADB_SOCK
  setsid nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 \
    --pid-file=$MARIADB_PID --socket=$MARIADB_SOCK --log-error=$LOGDIR/mariadb.log \
    --innodb-lock-wait-timeout=900 </dev/null >>$LOGDIR/mariadb.log 2>&1 &
  wait_for 20 mariadb mariadb-admin --socket=$MARIADB_SOCK ping ||
    die "MariaDB did not come up (see $LOGDIR/mariadb.log)"
  wait_for 5 mariadb-pid pid_alive $MARIADB_PID mariadbd || die "mariadbd did not write $MARIADB_PID"
  mark_started mariadbd $MARIADB_PID
fi
mariadb --socket=$MARIADB_SOCK -u root <<EOF || die "creating the slurm database/user failed"
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
EOF

# ---------------------------------------------------------------- 5. slurmdbd + cluster
dbd_up() { sacctmgr -n -P list cluster format=Cluster; }
if ((DBD_CHANGED)) && pid_alive $SLURMDBD_PID slurmdbd; then
  log "slurmdbd.conf changed: restarting slurmdbd"
  stop_pidfile $SLURMDBD_PID slurmdbd
fi
if ! pid_alive $SLURMDBD_PID slurmdbd; then
  log "starting slurmdbd"
  rm -f $SLURMDBD_PID
  slurmdbd || die "slurmdbd failed to start (see $LOGDIR/slurmdbd.log)"
  wait_for 5 slurmdbd-pid pid_alive $SLURMDBD_PID slurmdbd || die "slurmdbd exited (see $LOGDIR/slurmdbd.log)"
  mark_started slurmdbd $SLURMDBD_PID
fi
wait_for 20 slurmdbd dbd_up || die "slurmdbd does not answer sacctmgr (see $LOGDIR/slurmdbd.log)"
if ! dbd_up | grep -qx "$CLUSTER"; then
  log "registering cluster $CLUSTER"
  sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr add cluster $CLUSTER failed"
fi

# ---------------------------------------------------------------- 6. slurmctld + slurmd
if ((SLURM_CHANGED)); then
  if pid_alive $SLURMCTLD_PID slurmctld || pid_alive $SLURMD_PID slurmd; then
    log "slurm.conf changed: restarting slurmctld and slurmd"
    stop_pidfile $SLURMD_PID slurmd
    stop_pidfile $SLURMCTLD_PID slurmctld
  fi
fi
if ! pid_alive $SLURMCTLD_PID slurmctld; then
  log "starting slurmctld"
  rm -f $SLURMCTLD_PID
  slurmctld || die "slurmctld failed to start (see $LOGDIR/slurmctld.log)"
  wait_for 5 slurmctld-pid pid_alive $SLURMCTLD_PID slurmctld || die "slurmctld exited (see $LOGDIR/slurmctld.log)"
  mark_started slurmctld $SLURMCTLD_PID
fi
wait_for 15 slurmctld sh -c 'scontrol ping | grep -q UP' || die "slurmctld does not answer (see $LOGDIR/slurmctld.log)"
if ! pid_alive $SLURMD_PID slurmd; then
  log "starting slurmd"
  rm -f $SLURMD_PID
  slurmd -N "$NODE" || die "slurmd failed to start (see $LOGDIR/slurmd.log)"
  wait_for 5 slurmd-pid pid_alive $SLURMD_PID slurmd || die "slurmd exited (see $LOGDIR/slurmd.log)"
  mark_started slurmd $SLURMD_PID
fi

# ---------------------------------------------------------------- 7. wait for the node
node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1; }
end=$((SECONDS + WAIT))
resumed=0
while :; do
  st=$(node_state)
  case $st in
  idle | mixed | allocated | completing) break ;; # mixed/allocated: jobs already running (re-run)
  down* | drain* | *drain*)
    if ((!resumed)); then
      log "node is '$st': resuming it"
      scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
      resumed=1
    fi
    ;;
  esac
  ((SECONDS < end)) || die "node $NODE not idle after ${WAIT}s (state '${st:-?}'; see $LOGDIR/slurmctld.log, $LOGDIR/slurmd.log)"
  sleep 0.1
done
sacct -n -X -S now-1minutes -o JobID >/dev/null 2>&1 || die "sacct does not work (see $LOGDIR/slurmdbd.log)"

pids=""
for d in munged:$MUNGE_PID mariadbd:$MARIADB_PID slurmdbd:$SLURMDBD_PID slurmctld:$SLURMCTLD_PID slurmd:$SLURMD_PID; do
  pid_alive "${d#*:}" "${d%%:*}" || die "${d%%:*} is not running"
  pids+=" ${d%%:*}=$(pid_of "${d#*:}")"
done
printf 'slurm ready: cluster=%s node=%s state=%s cpus=%s mem=%sMB memmode=%s pids:%s (%.1fs)\n' \
  "$CLUSTER" "$NODE" "$st" "$CPUS" "$REALMEM" "$MEM_MODE" "$pids" "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')"
