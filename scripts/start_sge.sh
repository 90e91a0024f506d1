#!/usr/bin/env bash
# Install (if needed) and start a real single-host Son of Grid Engine 8.1.9 (Debian 12
# gridengine-* packages) on localhost, as root, WITHOUT systemd: sge_qmaster and sge_execd are
# started by hand and tracked by their pid files. Facts and captured outputs: scripts/SGE_NOTES.md.
#
#   cell     SGE_ROOT=/var/lib/gridengine SGE_CELL=default, host "localhost" (host_aliases maps
#            $(hostname) to it), qmaster port 6444, execd port 6445
#   queue    all.q on @allhosts = localhost, $DPD_SGE_SLOTS slots (default 16; two real cores),
#            shell /bin/bash, load_thresholds NONE, pe_list "smp mpi"
#   PEs      smp ($pe_slots) and mpi ($fill_up), $DPD_SGE_SLOTS slots each
#   global   min_uid/min_gid 0 (root may qsub), login_shells NONE (see SGE_NOTES.md), accounting
#            flushed every second; scheduler runs every second and 1 s after a submit/finish
#
# Nothing is exported globally: tests and humans read $DIR/env.json or source $DIR/env.sh
# ($DIR = $DPD_SGE_DIR, default /var/tmp/dpd-sge). The Debian /usr/bin/q* wrappers default to
# the same SGE_ROOT/SGE_CELL anyway.
# Idempotent: running daemons (pid file + /proc, zombies count as dead) are left alone, stale pid
# files are removed, configuration is only rewritten where it differs; a change of the global
# configuration restarts sge_execd (a running execd applies it lazily). Ends by running a real
# job and waiting for its qacct record. Stop with scripts/stop_sge.sh.
#
# Environment:
#   DPD_SGE_DIR           state dir (default /var/tmp/dpd-sge)
#   DPD_SGE_SLOTS         slots of all.q and of each PE (default 16)
#   DPD_SGE_LOGIN_SHELLS  global login_shells (default NONE; SGE's own default is sh,bash,ksh,csh,tcsh)
#   DPD_SGE_TIMEOUT       seconds to wait for the daemons and for the smoke job (default 60)
set -euo pipefail

DIR=${DPD_SGE_DIR:-/var/tmp/dpd-sge}
SLOTS=${DPD_SGE_SLOTS:-16}
LOGIN_SHELLS=${DPD_SGE_LOGIN_SHELLS:-NONE}
WAIT=${DPD_SGE_TIMEOUT:-60}
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default # this process and its children only
COMMON=$SGE_ROOT/$SGE_CELL/common
HOST=localhost
QUEUE=all.q
PKGS=(gridengine-master gridengine-exec gridengine-client)
PE_TEMPLATES=/usr/share/gridengine/util/resources/pe
T0=$(date +%s.%N)

log() { printf '[start_sge] %s\n' "$*" >&2; }
die() {
  printf '[start_sge] ERROR: %s\n' "$*" >&2
  exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ $SLOTS =~ ^[1-9][0-9]*$ ]] || die "DPD_SGE_SLOTS must be a positive integer (got '$SLOTS')"
[[ $WAIT =~ ^[1-9][0-9]*$ ]] || die "DPD_SGE_TIMEOUT must be a positive integer (got '$WAIT')"
[[ $LOGIN_SHELLS =~ ^[A-Za-z0-9_,]+$ ]] || die "DPD_SGE_LOGIN_SHELLS must look like NONE or sh,bash (got '$LOGIN_SHELLS')"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

# ---------------------------------------------------------------- process helpers
# proc_alive PID COMM: PID is a live (not zombie: PID 1 here reaps slowly) process called COMM
proc_alive() {
  local stat comm
  { read -r stat <"/proc/$1/stat" && read -r comm <"/proc/$1/comm"; } 2>/dev/null || return 1
  stat=${stat##*) } # field 3 follows the last ") "
  [[ ${stat%% *} != [ZX] && $comm == "$2" ]]
}
pid_of() { # pid_of PIDFILE: the pid in it (fails if none)
  local pid=""
  { read -r pid <"$1"; } 2>/dev/null || true
  [[ $pid =~ ^[0-9]+$ ]] && echo "$pid"
}
pid_alive() { # pid_alive PIDFILE COMM
  local pid
  pid=$(pid_of "$1") && proc_alive "$pid" "$2"
}
# stop_pid PIDFILE COMM: TERM, wait up to 15 s, then KILL; remove the pid file
stop_pid() {
  local pid i
  if pid=$(pid_of "$1") && proc_alive "$pid" "$2"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      proc_alive "$pid" "$2" || break
      sleep 0.1
    done
    if proc_alive "$pid" "$2"; then
      log "$2 ($pid) ignored SIGTERM for 15 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$1"
}
# wait_for SECONDS CMD...: poll CMD every 0.1 s
wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.1
  done
}
# write_if_changed FILE MODE CONTENT -> 0 if the file was (re)written
write_if_changed() {
  if [[ -f $1 && $(cat "$1") == "$3" ]]; then
    chmod "$2" "$1"
    return 1
  fi
  printf '%s\n' "$3" >"$1.tmp.$$" && chmod "$2" "$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}
# q CMD...: an SGE client call that cannot hang the script
q() { timeout 30 "$@"; }

mkdir -p "$DIR"
chmod 755 "$DIR"
exec 9>"$DIR/.lock" # one start_sge.sh at a time per state dir
flock -w 120 9 || die "another start_sge.sh holds $DIR/.lock"

# ---------------------------------------------------------------- 1. packages
missing=()
for p in "${PKGS[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *" ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  APTLOG=/tmp/start_sge.apt.log
  : >"$APTLOG"
  # The postinst of gridengine-master runs init_cluster (cell "default", berkeleydb spool,
  # admin user sgeadmin) when shared/gridengineconfig is true. The master host given here is
  # rewritten to "localhost" below (act_qmaster + host_aliases).
  H=$(hostname)
  for p in gridengine-common gridengine-client gridengine-master gridengine-exec; do
    printf '%s shared/gridengineconfig boolean true\n%s shared/gridenginecell string default\n%s shared/gridenginemaster string %s\n' \
      "$p" "$p" "$p" "$H"
  done | debconf-set-selections || die "debconf-set-selections failed"
  # Deny service starts during this install (no systemd: invoke-rc.d would run the init.d
  # scripts), and skip man-db's slow trigger; both are put back on exit.
  restore=()
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    restore+=("rm -f /usr/sbin/policy-rc.d")
  fi
  if [[ -e /var/lib/man-db/auto-update ]]; then
    mv -f /var/lib/man-db/auto-update /var/lib/man-db/auto-update.start_sge
    restore+=("mv -f /var/lib/man-db/auto-update.start_sge /var/lib/man-db/auto-update")
  fi
  trap 'for c in "${restore[@]}"; do eval "$c"; done' EXIT
  APT_OPTS=(-y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io
    -o Dpkg::Options::=--force-confold)
  # apt lists younger than a day that know the packages: no apt-get update
  if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*InRelease' -mmin -1440 2>/dev/null) ]] ||
    ! apt-cache show --no-all-versions "${PKGS[@]}" >/dev/null 2>&1; then
    log "apt-get update"
    apt-get update -q >>"$APTLOG" 2>&1 || {
      tail -20 "$APTLOG" >&2
      die "apt-get update failed (full log: $APTLOG)"
    }
  fi
  # Refuse an install that would remove Slurm or munge (gridengine-client conflicts with
  # slurm-wlm-torque: both ship qsub/qstat/qdel).
  sim=$(apt-get -s "${APT_OPTS[@]}" install "${PKGS[@]}" 2>&1) || {
    printf '%s\n' "$sim" | tail -20 >&2
    die "apt-get -s install ${PKGS[*]} failed"
  }
  removed=$(awk '$1 == "Remv" {print $2}' <<<"$sim" | tr '\n' ' ')
  if grep -Eq '(^| )(slurm[^ ]*|munge|libmunge[^ ]*)( |$)' <<<" $removed"; then
    die "installing ${PKGS[*]} would remove: ${removed% } -- refusing (Slurm must keep working; remove the conflicting package yourself if you really want Grid Engine here)"
  fi
  [[ -z $removed ]] || log "the install removes: $removed"
  apt-get "${APT_OPTS[@]}" install "${PKGS[@]}" >>"$APTLOG" 2>&1 || {
    tail -30 "$APTLOG" >&2
    die "apt-get install failed (full log: $APTLOG)"
  }
  for c in "${restore[@]}"; do eval "$c"; done
  restore=()
  trap - EXIT
  log "installed in $(elapsed "$T0")s"
fi
for b in /usr/sbin/sge_qmaster /usr/sbin/sge_execd /usr/bin/qconf /usr/bin/qsub /usr/bin/qstat /usr/bin/qacct /usr/bin/qdel; do
  [[ -x $b ]] || die "$b not found after install"
done
id sgeadmin >/dev/null 2>&1 || die "user sgeadmin missing (gridengine-common not configured?)"

# ---------------------------------------------------------------- 2. cell + host names
# The cell exists once init_cluster ran (postinst with shared/gridengineconfig=true). If the
# packages were installed without it, run it here, as the postinst would.
if [[ ! -s $COMMON/bootstrap ]]; then
  INIT=/usr/share/gridengine/scripts/init_cluster
  [[ -x $INIT ]] || die "$COMMON/bootstrap missing and $INIT not found"
  log "creating the cell: $INIT $SGE_ROOT $SGE_CELL /var/spool/gridengine/spooldb sgeadmin"
  runuser -u sgeadmin -- "$INIT" "$SGE_ROOT" "$SGE_CELL" /var/spool/gridengine/spooldb sgeadmin \
    >>"$DIR/init_cluster.log" 2>&1 || die "init_cluster failed (see $DIR/init_cluster.log)"
  [[ -s $COMMON/bootstrap ]] || die "init_cluster did not create $COMMON/bootstrap"
fi
SPOOL=$(awk '$1 == "qmaster_spool_dir" {print $2}' "$COMMON/bootstrap")
[[ -n $SPOOL ]] || die "no qmaster_spool_dir in $COMMON/bootstrap"
QMASTER_PID=$SPOOL/qmaster.pid
QMASTER_LOG=$SPOOL/messages

# Everything is "localhost": the qmaster sees clients connect from 127.0.0.1, which resolves to
# localhost, while they call themselves $(hostname). Without this alias: "commlib error: access
# denied (client IP resolved to host name "localhost". This is not identical to clients host
# name "vm")".
H=$(hostname)
getent hosts "$H" >/dev/null || die "host name '$H' does not resolve (add '127.0.0.1 $H' to /etc/hosts)"
QMASTER_CHANGED=0
if [[ $H != "$HOST" ]]; then
  write_if_changed "$COMMON/host_aliases" 644 "$HOST $H" && QMASTER_CHANGED=1
fi
write_if_changed "$COMMON/act_qmaster" 644 "$HOST" && QMASTER_CHANGED=1
chown sgeadmin:sgeadmin "$COMMON/act_qmaster"
mkdir -p /run/gridengine
chown sgeadmin:sgeadmin /run/gridengine

# ---------------------------------------------------------------- 3. sge_qmaster
qmaster_up() { timeout 10 qstat >/dev/null 2>&1; }
if ((QMASTER_CHANGED)) && pid_alive "$QMASTER_PID" sge_qmaster; then
  log "host names changed: restarting sge_qmaster"
  stop_pid "$QMASTER_PID" sge_qmaster
fi
if ! pid_alive "$QMASTER_PID" sge_qmaster; then
  log "starting sge_qmaster"
  rm -f "$QMASTER_PID"
  (cd / && /usr/sbin/sge_qmaster </dev/null >>"$DIR/qmaster.out" 2>&1 9>&-) ||
    die "sge_qmaster failed to start (see $DIR/qmaster.out and $QMASTER_LOG)"
  wait_for "$WAIT" pid_alive "$QMASTER_PID" sge_qmaster ||
    die "sge_qmaster did not stay up (see $QMASTER_LOG and $DIR/qmaster.out)"
  echo "$QMASTER_PID $(pid_of "$QMASTER_PID")" >"$DIR/qmaster.started"
fi
wait_for "$WAIT" qmaster_up || {
  timeout 10 qstat >&2 || true
  die "sge_qmaster does not answer qstat (see $QMASTER_LOG)"
}

# ---------------------------------------------------------------- 4. configuration
CONF=$DIR/conf
mkdir -p "$CONF"
# set_keys KEY VALUE...: stdin with KEY lines set to VALUE (continuation lines of a replaced
# value are dropped); everything else unchanged
set_keys() {
  local pairs=""
  while (($#)); do
    pairs+="$1"$'\t'"$2"$'\n'
    shift 2
  done
  awk -v pairs="$pairs" '
    BEGIN { n = split(pairs, l, "\n"); for (i = 1; i <= n; i++) if (l[i] != "") { split(l[i], kv, "\t"); want[kv[1]] = kv[2] } }
    skip { skip = /\\$/; next }
    ($1 in want) { printf "%-19s %s\n", $1, want[$1]; skip = /\\$/; next }
    { print }'
}
same() { [[ $(awk 'NF {$1 = $1; print}' <<<"$1") == "$(awk 'NF {$1 = $1; print}' <<<"$2")" ]]; }
# apply_if_changed WHAT CURRENT DESIRED FILE QCONF-ARGS...: write DESIRED to FILE and run qconf
# ARGS FILE when it differs from CURRENT; 0 if it did
apply_if_changed() {
  local what=$1 cur=$2 want=$3 file=$4
  shift 4
  same "$cur" "$want" && return 1
  printf '%s\n' "$want" >"$file"
  log "configuring $what"
  q qconf "$@" "$file" >>"$DIR/qconf.log" 2>&1 || {
    tail -5 "$DIR/qconf.log" >&2
    die "qconf $* $file failed"
  }
}

# global: root may submit; accounting flushed every second; no login shells (by default)
cur=$(q qconf -sconf global) || die "qconf -sconf global failed"
want=$(set_keys min_uid 0 min_gid 0 login_shells "$LOGIN_SHELLS" <<<"$cur" |
  sed -E 's/(flush_time|accounting_flush_time)=[0-9:]+/\1=00:00:01/g')
GLOBAL_CHANGED=0
apply_if_changed "global configuration" "$cur" "$want" "$CONF/global" -Mconf && GLOBAL_CHANGED=1

# scheduler: a scheduling run every second and one second after each submit/finish
cur=$(q qconf -ssconf) || die "qconf -ssconf failed"
want=$(set_keys schedule_interval 0:0:1 flush_submit_sec 1 flush_finish_sec 1 \
  job_load_adjustments NONE <<<"$cur")
apply_if_changed "scheduler" "$cur" "$want" "$CONF/sched" -Msconf || true

# hosts: localhost is admin, submit and execution host
# ensure_host LIST-OPTION ADD-OPTION: add $HOST to the host list qconf LIST-OPTION prints
ensure_host() {
  local list
  list=$(q qconf "$1" 2>/dev/null) || list=""
  grep -qx "$HOST" <<<"$list" && return 0
  log "qconf $2 $HOST"
  local out
  out=$(q qconf "$2" "$HOST" 2>&1) || [[ $out == *"already exists"* ]] || die "qconf $2 $HOST failed: $out"
  printf '%s\n' "$out" >>"$DIR/qconf.log"
}
ensure_host -sh -ah # admin host
ensure_host -ss -as # submit host
if ! q qconf -se "$HOST" >/dev/null 2>&1; then
  printf '%-19s %s\n' hostname "$HOST" load_scaling NONE complex_values NONE user_lists NONE \
    xuser_lists NONE projects NONE xprojects NONE usage_scaling NONE report_variables NONE \
    >"$CONF/exechost"
  log "adding execution host $HOST"
  q qconf -Ae "$CONF/exechost" >>"$DIR/qconf.log" 2>&1 || die "qconf -Ae $CONF/exechost failed"
fi
want=$(printf '%-19s %s\n' group_name @allhosts hostlist "$HOST")
if cur=$(q qconf -shgrp @allhosts 2>/dev/null); then
  apply_if_changed "host group @allhosts" "$cur" "$want" "$CONF/allhosts" -Mhgrp || true
else
  apply_if_changed "host group @allhosts" "" "$want" "$CONF/allhosts" -Ahgrp
fi

# parallel environments, from the package's templates
for pe in smp mpi; do
  rule=\$pe_slots
  [[ $pe == mpi ]] && rule=\$fill_up
  if ! cur=$(q qconf -sp "$pe" 2>/dev/null); then
    [[ -s $PE_TEMPLATES/$pe ]] || die "PE template $PE_TEMPLATES/$pe not found"
    cur=$(cat "$PE_TEMPLATES/$pe")
    want=$(set_keys pe_name "$pe" slots "$SLOTS" allocation_rule "$rule" <<<"$cur")
    apply_if_changed "parallel environment $pe" "" "$want" "$CONF/pe_$pe" -Ap
  else
    want=$(set_keys slots "$SLOTS" allocation_rule "$rule" <<<"$cur")
    apply_if_changed "parallel environment $pe" "$cur" "$want" "$CONF/pe_$pe" -Mp || true
  fi
done

# queue all.q (from the template `qconf -sq` prints when given no queue)
QKEYS=(qname "$QUEUE" hostlist @allhosts slots "$SLOTS" pe_list "smp mpi" shell /bin/bash
  shell_start_mode posix_compliant load_thresholds NONE suspend_thresholds NONE tmpdir /tmp)
if cur=$(q qconf -sq "$QUEUE" 2>/dev/null); then
  want=$(set_keys "${QKEYS[@]}" <<<"$cur")
  apply_if_changed "queue $QUEUE" "$cur" "$want" "$CONF/queue" -Mq || true
else
  cur=$(q qconf -sq) || die "qconf -sq (queue template) failed"
  want=$(set_keys "${QKEYS[@]}" <<<"$cur")
  apply_if_changed "queue $QUEUE" "" "$want" "$CONF/queue" -Aq
fi

# ---------------------------------------------------------------- 5. sge_execd
EXECD_SPOOL=$(q qconf -sconf global | awk '$1 == "execd_spool_dir" {print $2}')
[[ -n $EXECD_SPOOL ]] || die "no execd_spool_dir in the global configuration"
EXECD_PID=$EXECD_SPOOL/$HOST/execd.pid
EXECD_LOG=$EXECD_SPOOL/$HOST/messages
if ((GLOBAL_CHANGED)) && pid_alive "$EXECD_PID" sge_execd; then
  # a running execd applies global changes lazily: min_uid stayed 1000 for 15 s and more, and
  # root's job went to Eqw (qsub -sync y then blocks forever)
  log "global configuration changed: restarting sge_execd"
  stop_pid "$EXECD_PID" sge_execd
fi
if ! pid_alive "$EXECD_PID" sge_execd; then
  log "starting sge_execd"
  rm -f "$EXECD_PID"
  (cd / && /usr/sbin/sge_execd </dev/null >>"$DIR/execd.out" 2>&1 9>&-) ||
    die "sge_execd failed to start (see $DIR/execd.out and $EXECD_LOG)"
  wait_for "$WAIT" pid_alive "$EXECD_PID" sge_execd ||
    die "sge_execd did not stay up (see $EXECD_LOG and $DIR/execd.out)"
  echo "$EXECD_PID $(pid_of "$EXECD_PID")" >"$DIR/execd.started"
fi

# the queue instance is usable once execd has reported (no "u" state); clear error/disabled
qi_states() { # prints the states of all.q@localhost ("" when fine); fails if not listed
  local line
  line=$(q qstat -f -q "$QUEUE@$HOST" 2>/dev/null | awk -v qi="$QUEUE@$HOST" '$1 == qi') || return 1
  [[ -n $line ]] || return 1
  awk '{print $6}' <<<"$line"
}
end=$((SECONDS + WAIT))
while :; do
  st=$(qi_states) || st="?"
  [[ -z $st ]] && break
  if [[ $st == *E* ]]; then
    log "queue instance $QUEUE@$HOST is in error state ($st): clearing it (qmod -c)"
    q qmod -c "$QUEUE@$HOST" >>"$DIR/qconf.log" 2>&1 || true
  fi
  if [[ $st == *d* ]]; then
    log "queue instance $QUEUE@$HOST is disabled ($st): enabling it (qmod -e)"
    q qmod -e "$QUEUE@$HOST" >>"$DIR/qconf.log" 2>&1 || true
  fi
  ((SECONDS < end)) || die "queue instance $QUEUE@$HOST not usable after ${WAIT}s (states '$st'; see $EXECD_LOG, $QMASTER_LOG)"
  sleep 0.2
done

# ---------------------------------------------------------------- 6. env.json, env.sh
pids=""
for d in qmaster:$QMASTER_PID execd:$EXECD_PID; do
  pid_alive "${d#*:}" "sge_${d%%:*}" || die "sge_${d%%:*} is not running"
  pids+=" ${d%%:*}=$(pid_of "${d#*:}")"
done
ACCOUNTING=$COMMON/accounting
write_if_changed "$DIR/env.json" 644 "$(
  cat <<EOF
{
  "env": { "SGE_ROOT": "$SGE_ROOT", "SGE_CELL": "$SGE_CELL" },
  "host": "$HOST",
  "queue": "$QUEUE",
  "slots": $SLOTS,
  "pes": {
    "smp": { "slots": $SLOTS, "allocationRule": "\$pe_slots" },
    "mpi": { "slots": $SLOTS, "allocationRule": "\$fill_up" }
  },
  "loginShells": "$LOGIN_SHELLS",
  "ports": { "qmaster": 6444, "execd": 6445 },
  "pids": { "qmaster": $(pid_of "$QMASTER_PID"), "execd": $(pid_of "$EXECD_PID") },
  "pidFiles": { "qmaster": "$QMASTER_PID", "execd": "$EXECD_PID" },
  "accountingFile": "$ACCOUNTING",
  "logs": { "qmaster": "$QMASTER_LOG", "execd": "$EXECD_LOG" },
  "envSh": "$DIR/env.sh"
}
EOF
)" || true
write_if_changed "$DIR/env.sh" 644 "# Generated by scripts/start_sge.sh: source it to use the test Grid Engine (qsub, qstat, qacct...)
export SGE_ROOT=$SGE_ROOT
export SGE_CELL=$SGE_CELL" || true

# ---------------------------------------------------------------- 7. smoke test: a real job
SMOKE=$DIR/smoke
mkdir -p "$SMOKE"
rm -f "$SMOKE"/smoke.out
cat >"$SMOKE/smoke.sh" <<'EOF'
#!/bin/bash
#$ -S /bin/bash
#$ -cwd
#$ -j y
#$ -o smoke.out
echo "bash=$BASH_VERSION pwd=$PWD slots=$NSLOTS"
EOF
# A unique name: job numbers are reused after a qmaster crash (kill -9 loses jobseqnum and the
# next qmaster "guesses" it), and `qacct -j ID` then also prints the old job's record.
name=dpd_sge_smoke_${T0%.*}_$$
t_job=$(date +%s.%N)
jid=$(cd "$SMOKE" && q qsub -terse -N "$name" smoke.sh 2>&1) || die "qsub -terse smoke.sh failed: $jid"
[[ $jid =~ ^[0-9]+$ ]] || die "qsub -terse printed '$jid', not a job id"
record() { # record ID NAME: the qacct -j ID record whose jobname is NAME
  qacct -j "$1" 2>/dev/null | awk -v n="$2" '/^=+$/ {if (f) exit; b = ""; next}
    {b = b $0 "\n"} $1 == "jobname" && $2 == n {f = 1} END {if (f) printf "%s", b}'
}
acct=""
end=$((SECONDS + WAIT))
until acct=$(record "$jid" "$name") && [[ $acct == *exit_status* ]]; do
  if ((SECONDS >= end)); then
    q qstat -j "$jid" 2>&1 | grep -E '^(job_state|error reason|scheduling info)' >&2 || true
    q qdel "$jid" >/dev/null 2>&1 || true
    die "smoke job $jid has no qacct record after ${WAIT}s (see $EXECD_LOG, $QMASTER_LOG)"
  fi
  sleep 0.2
done
t_job=$(elapsed "$t_job")
failed=$(awk '$1 == "failed" {print $2}' <<<"$acct")
status=$(awk '$1 == "exit_status" {print $2}' <<<"$acct")
[[ $failed == 0 && $status == 0 ]] ||
  die "smoke job $jid ended with failed=$failed exit_status=$status (qacct -j $jid)"
out=$(cat "$SMOKE/smoke.out" 2>/dev/null) || out=""
[[ $out == "bash=5."*" pwd=$SMOKE slots=1" ]] ||
  die "smoke job $jid printed '$out', expected 'bash=5.* pwd=$SMOKE slots=1'"
log "smoke job $jid: qsub -> qacct exit_status 0 in ${t_job}s"

printf 'sge ready: queue=%s slots=%s pes=smp,mpi pids:%s (%ss)\n' "$QUEUE" "$SLOTS" "$pids" "$(elapsed "$T0")"
