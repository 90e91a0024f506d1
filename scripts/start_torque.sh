#!/usr/bin/env bash
# Make the Debian `slurm-wlm-torque` wrappers (qsub, qstat, qdel, ... in perl, over Slurm) usable
# from a PRIVATE bin directory, without installing the .deb: it conflicts with gridengine-client,
# which owns /usr/bin/qsub, qstat and qdel here. Needs the running test Slurm (scripts/start_slurm.sh).
#
#   $DIR/deb/            the downloaded .deb (apt-get download), kept for reruns
#   $DIR/root/           the .deb extracted with dpkg -x (nothing is installed system-wide)
#   $DIR/bin/            links to the wrappers, and to sbatch, srun, salloc, squeue, scontrol and
#                        scancel: the wrappers run `$FindBin::Bin/sbatch` (their own directory)
#   $DIR/env.json        { "bin": "$DIR/bin", "version": ..., "spankPbs": true|false }
#
# Idempotent: the download and extraction happen only when missing; links are (re)made; it ends
# with a real round trip (qsub of a one-line job, qstat -f until it completes) and prints
# `torque ready: bin=... (N.Ns)`. PBS_JOBID is set inside jobs only when Slurm's spank_pbs plugin
# is in the plugstack; this script only reports whether it is (it never edits Slurm's config).
#
# Environment:
#   DPD_TORQUE_DIR      state dir (default /opt/dpd-torque, else /var/tmp/dpd-torque)
#   DPD_TORQUE_TIMEOUT  seconds to wait for the smoke job (default 60)
set -euo pipefail

T0=$(date +%s.%N)
WAIT=${DPD_TORQUE_TIMEOUT:-60}
log() { printf '[start_torque] %s\n' "$*" >&2; }
die() {
  printf '[start_torque] ERROR: %s\n' "$*" >&2
  exit 1
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
[[ $WAIT =~ ^[1-9][0-9]*$ ]] || die "DPD_TORQUE_TIMEOUT must be a positive integer (got '$WAIT')"

if [[ -n ${DPD_TORQUE_DIR:-} ]]; then
  DIR=$DPD_TORQUE_DIR
elif mkdir -p /opt/dpd-torque 2>/dev/null && [[ -w /opt/dpd-torque ]]; then
  DIR=/opt/dpd-torque
else
  DIR=/var/tmp/dpd-torque
fi
mkdir -p "$DIR/deb" "$DIR/bin"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

command -v sbatch >/dev/null || die "no sbatch on PATH: install and start Slurm first (scripts/start_slurm.sh)"
scontrol ping >/dev/null 2>&1 || die "slurmctld does not answer scontrol ping: run scripts/start_slurm.sh"

# ---------------------------------------------------------------- download and extract
# The wrappers' perl modules (Slurm.pm and its libslurm.so.38; Switch.pm) are not installed here
# either: they are extracted beside them, and the commands in bin/ are small shims that point
# perl at them.
PKGS=(slurm-wlm-torque libslurm-perl libslurmdb-perl libslurm38 libswitch-perl)
debs=()
for pkg in "${PKGS[@]}"; do
  deb=$(find "$DIR/deb" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
  if [[ -z $deb ]]; then
    log "downloading $pkg into $DIR/deb"
    (cd "$DIR/deb" && apt-get download "$pkg" >&2) ||
      { apt-get update >&2 && (cd "$DIR/deb" && apt-get download "$pkg" >&2); } ||
      die "apt-get download $pkg failed"
    deb=$(find "$DIR/deb" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
    [[ -n $deb ]] || die "apt-get download left no $pkg .deb in $DIR/deb"
  fi
  debs+=("$deb")
done
version=$(dpkg-deb -f "${debs[0]}" Version)
stamp=$(for d in "${debs[@]}"; do basename "$d"; done | tr '\n' ' ')
if [[ ! -f $DIR/root/usr/bin/qsub || $(cat "$DIR/root/.debs" 2>/dev/null) != "$stamp" ]]; then
  log "extracting ${PKGS[*]} into $DIR/root"
  rm -rf "$DIR/root.new"
  for d in "${debs[@]}"; do dpkg-deb -x "$d" "$DIR/root.new"; done
  echo "$stamp" >"$DIR/root.new/.debs"
  rm -rf "$DIR/root"
  mv "$DIR/root.new" "$DIR/root"
fi

# ---------------------------------------------------------------- shims and links
ROOT=$DIR/root
PERL_LIB=$ROOT/usr/lib/x86_64-linux-gnu/perl5/5.36:$ROOT/usr/share/perl5
for f in "$ROOT/usr/bin/"*; do
  [[ -L $f ]] && continue # the Slurm links made below
  name=$(basename "$f")
  rm -f "$DIR/bin/$name"
  cat >"$DIR/bin/$name" <<SHIM
#!/bin/sh
# slurm-wlm-torque's $name, with its perl modules from $ROOT (made by scripts/start_torque.sh)
PERL5LIB=$PERL_LIB\${PERL5LIB:+:\$PERL5LIB} LD_LIBRARY_PATH=$ROOT/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec perl "$f" "\$@"
SHIM
  chmod 755 "$DIR/bin/$name"
done
# The wrappers run \$FindBin::Bin/sbatch: the directory of the perl script itself.
for p in sbatch srun salloc squeue scontrol scancel sacct; do
  real=$(command -v "$p") || die "no $p on PATH"
  ln -sfn "$real" "$ROOT/usr/bin/$p"
  ln -sfn "$real" "$DIR/bin/$p"
done

# spank_pbs sets PBS_JOBID (and PBS_O_WORKDIR) inside jobs; without it the job script names the
# job by its shell's PID.
spank=false
conf=$(scontrol show config | awk -F' = ' '/^PlugStackConfig/ {print $2}')
[[ $conf == "(null)" || -z $conf ]] && conf=/etc/slurm/plugstack.conf
if cat "$conf" "$(dirname "$conf")"/plugstack.conf.d/*.conf 2>/dev/null | grep -Eq '^[[:space:]]*(required|optional)[[:space:]]+[^[:space:]]*spank_pbs'; then
  spank=true
fi

printf '{ "bin": "%s", "version": "%s", "spankPbs": %s }\n' "$DIR/bin" "$version" "$spank" >"$DIR/env.json.new"
mv "$DIR/env.json.new" "$DIR/env.json"

# ---------------------------------------------------------------- smoke job
work=$(mktemp -d "${TMPDIR:-/tmp}/dpd-torque-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2016 # $DPD_ATTEMPT expands in the job, not here
printf '#!/bin/bash -l\necho "smoke $DPD_ATTEMPT"\n' >"$work/smoke.sh"
id=$(cd "$work" && PATH=$DIR/bin:$PATH qsub -N dpd-torque-smoke -o "$work/smoke.out" -e "$work/smoke.err" \
  -v DPD_ATTEMPT=7 "$work/smoke.sh") || die "qsub failed: $id"
[[ $id =~ ^[0-9]+ ]] || die "qsub printed no job id: $id"
deadline=$(($(date +%s) + WAIT))
state=
while :; do
  state=$(PATH=$DIR/bin:$PATH qstat -f "$id" 2>&1 | awk -F' = ' '/job_state/ {print $2}') || true
  [[ $state == C ]] && break
  (($(date +%s) < deadline)) || die "job $id did not complete within ${WAIT}s (job_state '$state')"
  sleep 0.5
done
for _ in $(seq 1 20); do [[ -s $work/smoke.out ]] && break; sleep 0.25; done
grep -qx 'smoke 7' "$work/smoke.out" || die "job $id wrote no 'smoke 7' to its -o file: $(cat "$work/smoke.out" 2>/dev/null)"
log "wrappers $version in $DIR/bin; spank_pbs active: $spank"
echo "torque ready: bin=$DIR/bin ($(elapsed "$T0")s)"
