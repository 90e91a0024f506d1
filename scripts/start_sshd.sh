#!/usr/bin/env bash
# Install (if needed) and start three private OpenSSH servers on 127.0.0.1 for the SSH
# integration tests, on Debian 12, as root, WITHOUT systemd. The system sshd, /etc/ssh and
# /etc/pam.d/sshd are never touched (the system sshd is not even started by the install).
#
#   target 2222  pubkey + password, SFTP (internal-sftp), TCP forwarding
#   jump   2223  bastion: pubkey only, TCP forwarding (ssh -J / ssh2 forwardOut to target)
#   totp   2224  keyboard-interactive only: PAM prompts "Password: " then "Verification code: "
#                (pam_unix + pam_google_authenticator, PAM service /etc/pam.d/sshd-totp, which
#                sshd picks because it runs as $DIR/bin/sshd-totp -> /usr/sbin/sshd)
#
# Everything lives in $DPD_SSHD_DIR (default /var/tmp/dpd-sshd); tests read $DIR/env.json.
# DPD_SSHD_PORT (default 2222) moves the three ports (target, target+1, target+2).
# Idempotent: running instances (pid file + /proc, zombies count as dead + port answers) are
# left alone; an instance whose sshd_config changed is restarted. Host and client keys are
# generated once and kept. Stop with scripts/stop_sshd.sh.
#
# Usage: start_sshd.sh [--restart target|jump|totp|all]...
#   --restart NAME  stop NAME (its listener and its per-connection sshd processes, so open
#                   connections drop) and start it again: same port, same host keys.
set -euo pipefail

DIR=${DPD_SSHD_DIR:-/var/tmp/dpd-sshd}
HOST=127.0.0.1
NAMES=(target jump totp)
P0=${DPD_SSHD_PORT:-2222} # target; jump and totp use the next two ports
TOTP_SECRET=JBSWY3DPEHPK3PXP # base32 of "Hello!\xde\xad\xbe\xef"
PASSPHRASE=dpd-passphrase
PKGS=(openssh-server openssh-client libpam-google-authenticator oathtool)
SSHD=/usr/sbin/sshd
T0=$(date +%s.%N)

log() { printf '[start_sshd] %s\n' "$*" >&2; }
die() {
  printf '[start_sshd] ERROR: %s\n' "$*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ $P0 =~ ^[1-9][0-9]*$ ]] || die "DPD_SSHD_PORT must be a port number (got '$P0')"
declare -A PORT=([target]=$P0 [jump]=$((P0 + 1)) [totp]=$((P0 + 2)))
RESTART=()
while (($#)); do
  case $1 in
  --restart)
    [[ ${2:-} =~ ^(target|jump|totp|all)$ ]] || die "--restart needs target|jump|totp|all"
    if [[ $2 == all ]]; then RESTART+=("${NAMES[@]}"); else RESTART+=("$2"); fi
    shift 2
    ;;
  *) die "unknown argument '$1' (usage: $0 [--restart target|jump|totp|all]...)" ;;
  esac
done

# ---------------------------------------------------------------- process helpers
# (bash builtins only: forks cost 10-25 ms each on a loaded CI machine)
# pid_of NAME: the pid in NAME's pid file (fails if none)
pid_of() {
  local pid=""
  { read -r pid <"$DIR/$1/sshd.pid"; } 2>/dev/null || true
  [[ $pid =~ ^[0-9]+$ ]] && echo "$pid"
}
# alive NAME: the pid file names a live (not zombie: PID 1 here reaps slowly) listener whose
# name is sshd (sshd-totp for totp) and whose command line has NAME's config
alive() {
  local pid stat comm args want=sshd
  [[ $1 == totp ]] && want=sshd-totp
  pid=$(pid_of "$1") || return 1
  { read -r stat <"/proc/$pid/stat" && read -r comm <"/proc/$pid/comm" &&
    mapfile -d '' args <"/proc/$pid/cmdline"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != [ZX] && $comm == "$want" && " ${args[*]} " == *" -f $DIR/$1/sshd_config "* ]]
}
# answers PORT: an SSH server banner comes back on 127.0.0.1:PORT
answers() {
  local fd banner=""
  { exec {fd}<>"/dev/tcp/$HOST/$1"; } 2>/dev/null || return 1
  read -r -t 2 -u "$fd" banner || true
  exec {fd}>&-
  [[ $banner == SSH-* ]]
}
# children PID: pids whose parent is PID (the per-connection sshd processes of a listener)
children() {
  local f stat
  for f in /proc/[0-9]*/stat; do
    { read -r stat <"$f"; } 2>/dev/null || continue
    stat=${stat##*) }
    stat=${stat#* }
    [[ ${stat%% *} == "$1" ]] && { f=${f#/proc/} && echo "${f%/stat}"; }
  done
  return 0
}
# stop NAME [drop]: TERM the listener (and, with "drop", its connections), wait, then KILL
stop() {
  local pid kids="" i
  if alive "$1"; then
    pid=$(pid_of "$1")
    [[ ${2:-} == drop ]] && kids=$(children "$pid")
    kill -TERM "$pid" $kids 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      alive "$1" || break
      sleep 0.1
    done
    alive "$1" && kill -KILL "$pid" 2>/dev/null && sleep 0.3
  fi
  rm -f "$DIR/$1/sshd.pid"
}
# write_if_changed FILE MODE CONTENT -> 0 if the file was (re)written
write_if_changed() {
  if [[ -f $1 && $(cat "$1") == "$3" ]]; then
    chmod "$2" "$1"
    return 1
  fi
  printf '%s\n' "$3" >"$1.tmp.$$" && chmod "$2" "$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

mkdir -p "$DIR"
exec 9>"$DIR/.lock" # one start_sshd.sh at a time per state dir
flock -w 120 9 || die "another start_sshd.sh holds $DIR/.lock"

# ---------------------------------------------------------------- 1. packages
missing=()
for p in "${PKGS[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *" ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  APTLOG=/tmp/start_sshd.apt.log
  : >"$APTLOG"
  # Without a policy-rc.d, openssh-server's postinst would start the SYSTEM sshd on port 22
  # (no systemd: invoke-rc.d runs /etc/init.d/ssh). Deny service starts during this install
  # only, and skip man-db's slow trigger (both put back on exit).
  restore=()
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    restore+=("rm -f /usr/sbin/policy-rc.d")
  fi
  if [[ -e /var/lib/man-db/auto-update ]]; then
    mv -f /var/lib/man-db/auto-update /var/lib/man-db/auto-update.start_sshd
    restore+=("mv -f /var/lib/man-db/auto-update.start_sshd /var/lib/man-db/auto-update")
  fi
  trap 'for c in "${restore[@]}"; do eval "$c"; done' EXIT
  apt_install() {
    apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io \
      -o Dpkg::Options::=--force-confold "${PKGS[@]}" >>"$APTLOG" 2>&1
  }
  if ! apt_install; then # stale or missing lists: update once and retry
    log "apt-get install failed: running apt-get update and retrying"
    { apt-get update -q >>"$APTLOG" 2>&1 && apt_install; } || {
      tail -30 "$APTLOG" >&2
      die "apt-get install failed (full log: $APTLOG)"
    }
  fi
  for c in "${restore[@]}"; do eval "$c"; done
  restore=()
  trap - EXIT
fi
[[ -x $SSHD ]] || die "$SSHD not found after install"
compgen -G "/usr/lib/*/security/pam_google_authenticator.so" >/dev/null ||
  compgen -G "/lib/*/security/pam_google_authenticator.so" >/dev/null ||
  die "pam_google_authenticator.so not found"

# ---------------------------------------------------------------- 2. users
# ensure_user NAME PASSWORD [UID]: create if missing (home, bash), (re)set the password
ensure_user() {
  if ! id "$1" >/dev/null 2>&1; then
    local uidopt=()
    [[ -n ${3:-} ]] && ! getent passwd "$3" >/dev/null && uidopt=(-u "$3")
    log "creating user $1"
    useradd -m -d "/home/$1" -s /bin/bash "${uidopt[@]}" "$1"
  fi
  echo "$1:$2" | chpasswd
}
ensure_user hpcuser hpcpass 1001
ensure_user totpuser totppass
# ~totpuser/.google_authenticator: secret, then options. No DISALLOW_REUSE and no RATE_LIMIT,
# so the same code logs in any number of times within its 30 s step; WINDOW_SIZE 3 also
# accepts the previous and the next code (clock skew, step boundaries).
GA_FILE=$(getent passwd totpuser | cut -d: -f6)/.google_authenticator
write_if_changed "$GA_FILE" 600 "$TOTP_SECRET
\" WINDOW_SIZE 3
\" TOTP_AUTH" || true
chown totpuser: "$GA_FILE"

# ---------------------------------------------------------------- 3. keys
mkdir -p "$DIR/bin" "$DIR/client" /run/sshd
chmod 755 "$DIR" "$DIR/bin" "$DIR/client" /run/sshd
C=$DIR/client
# keygen FILE TYPE PASSPHRASE COMMENT: create the key pair once, in the background (one RSA-3072
# key takes 0.1-4 s here), via a temp name so that a killed run leaves no half pair
keygen() {
  [[ -s $1 && -s $1.pub ]] && return 0
  local bits=()
  [[ $2 == rsa ]] && bits=(-b 3072)
  rm -f "$1.new" "$1.new.pub"
  { ssh-keygen -q -t "$2" "${bits[@]}" -N "$3" -C "$4" -f "$1.new" &&
    mv -f "$1.new.pub" "$1.pub" && mv -f "$1.new" "$1"; } &
}
keygen "$C/id_ed25519" ed25519 '' dpd-test-ed25519
keygen "$C/id_rsa" rsa '' dpd-test-rsa
keygen "$C/id_ed25519_pass" ed25519 "$PASSPHRASE" dpd-test-ed25519-pass
for n in "${NAMES[@]}"; do
  mkdir -p "$DIR/$n" && chmod 755 "$DIR/$n"
  for t in ed25519 rsa; do keygen "$DIR/$n/host_${t}_key" "$t" '' "dpd-$n-host"; done
done
wait
chmod 600 "$C"/id_ed25519 "$C"/id_rsa "$C"/id_ed25519_pass "$DIR"/*/host_*_key
chmod 644 "$C"/*.pub "$DIR"/*/host_*_key.pub
write_if_changed "$DIR/authorized_keys" 644 "$(cat "$C/id_ed25519.pub" "$C/id_rsa.pub" "$C/id_ed25519_pass.pub")" || true
known=""
for n in "${NAMES[@]}"; do
  for t in ed25519 rsa; do
    read -r ktype kdata _ <"$DIR/$n/host_${t}_key.pub"
    for h in 127.0.0.1 localhost; do known+="[$h]:${PORT[$n]} $ktype $kdata"$'\n'; done
  done
done
write_if_changed "$C/known_hosts" 644 "${known%$'\n'}" || true
write_if_changed "$C/ssh_config" 644 "# Generated by scripts/start_sshd.sh: ssh -F $C/ssh_config dpd-target
Host dpd-target
    Port ${PORT[target]}
Host dpd-jump
    Port ${PORT[jump]}
Host dpd-via-jump
    Port ${PORT[target]}
    ProxyJump dpd-jump
Host dpd-totp
    Port ${PORT[totp]}
    User totpuser
    PreferredAuthentications keyboard-interactive
Host dpd-*
    HostName $HOST
    User hpcuser
    IdentityFile $C/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $C/known_hosts
    StrictHostKeyChecking yes" || true

# ---------------------------------------------------------------- 4. configs
ln -sfn "$SSHD" "$DIR/bin/sshd-totp" # program name = PAM service name
write_if_changed /etc/pam.d/sshd-totp 644 "# Written by dpdispatcher-ts scripts/start_sshd.sh for its private test sshd \"totp\"
# (run as .../bin/sshd-totp, so sshd uses PAM service \"sshd-totp\").
# The system sshd does not read this file.
@include common-auth
auth required pam_google_authenticator.so
@include common-account
@include common-session-noninteractive" || true

conf() { # conf NAME: the sshd_config of instance NAME
  local d=$DIR/$1
  cat <<EOF
# Generated by scripts/start_sshd.sh -- instance "$1"; do not edit by hand
Port ${PORT[$1]}
ListenAddress $HOST
HostKey $d/host_ed25519_key
HostKey $d/host_rsa_key
PidFile $d/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys $DIR/authorized_keys
PermitRootLogin yes
UsePAM yes
StrictModes no
UseDNS no
X11Forwarding no
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
MaxStartups 100:30:200
MaxSessions 100
LogLevel VERBOSE
EOF
  case $1 in
  target) printf '%s\n' "PubkeyAuthentication yes" "PasswordAuthentication yes" \
    "KbdInteractiveAuthentication no" "AllowTcpForwarding yes" ;;
  jump) printf '%s\n' "PubkeyAuthentication yes" "PasswordAuthentication no" \
    "KbdInteractiveAuthentication no" "AllowTcpForwarding yes" \
    "LogVerbose *:server_request_direct_tcpip():*" ;;
  totp) printf '%s\n' "PubkeyAuthentication no" "PasswordAuthentication no" \
    "KbdInteractiveAuthentication yes" "AuthenticationMethods keyboard-interactive" \
    "AllowTcpForwarding no" ;;
  esac
}

# ---------------------------------------------------------------- 5. start
for n in "${RESTART[@]}"; do
  log "restarting $n"
  stop "$n" drop
done
for n in "${NAMES[@]}"; do
  cfg=$DIR/$n/sshd_config
  if write_if_changed "$cfg" 644 "$(conf "$n")" && alive "$n"; then
    log "$n: sshd_config changed: restarting"
    stop "$n"
  fi
  alive "$n" && answers "${PORT[$n]}" && continue
  stop "$n" # a hung listener, or a stale pid file (kill -9)
  answers "${PORT[$n]}" && die "port ${PORT[$n]} is answered by a process that is not ours"
  bin=$SSHD
  [[ $n == totp ]] && bin=$DIR/bin/sshd-totp
  "$bin" -t -f "$cfg" || die "$n: invalid $cfg"
  log "starting $n on $HOST:${PORT[$n]}"
  "$bin" -f "$cfg" -E "$DIR/$n/sshd.log" || die "$n: sshd failed to start (see $DIR/$n/sshd.log)"
  for ((i = 0; i < 50; i++)); do
    alive "$n" && answers "${PORT[$n]}" && break
    sleep 0.1
  done
  alive "$n" || die "$n: sshd did not stay up (see $DIR/$n/sshd.log)"
done

# ---------------------------------------------------------------- 6. env.json + smoke test
pids=() pf="" lf=""
for n in "${NAMES[@]}"; do
  pids+=("$n=$(pid_of "$n")")
  pf+="${pf:+, }\"$n\": \"$DIR/$n/sshd.pid\""
  lf+="${lf:+, }\"$n\": \"$DIR/$n/sshd.log\""
done
write_if_changed "$DIR/env.json" 644 "$(
  cat <<EOF
{
  "host": "$HOST",
  "ports": { "target": ${PORT[target]}, "jump": ${PORT[jump]}, "totp": ${PORT[totp]} },
  "users": {
    "root": { "uid": 0, "home": "/root", "password": null },
    "hpcuser": { "uid": $(id -u hpcuser), "home": "$(getent passwd hpcuser | cut -d: -f6)", "password": "hpcpass" },
    "totpuser": { "uid": $(id -u totpuser), "home": "${GA_FILE%/*}", "password": "totppass" }
  },
  "keys": {
    "ed25519": "$C/id_ed25519",
    "rsa": "$C/id_rsa",
    "ed25519Pass": "$C/id_ed25519_pass",
    "passphrase": "$PASSPHRASE"
  },
  "authorizedKeys": "$DIR/authorized_keys",
  "knownHosts": "$C/known_hosts",
  "sshConfig": "$C/ssh_config",
  "sshConfigHosts": ["dpd-target", "dpd-jump", "dpd-via-jump", "dpd-totp"],
  "hostKeys": {
    "target": ["$DIR/target/host_ed25519_key.pub", "$DIR/target/host_rsa_key.pub"],
    "jump": ["$DIR/jump/host_ed25519_key.pub", "$DIR/jump/host_rsa_key.pub"],
    "totp": ["$DIR/totp/host_ed25519_key.pub", "$DIR/totp/host_rsa_key.pub"]
  },
  "totp": {
    "user": "totpuser",
    "password": "totppass",
    "secret": "$TOTP_SECRET",
    "digits": 6,
    "period": 30,
    "algorithm": "SHA1",
    "prompts": ["Password: ", "Verification code: "]
  },
  "pidFiles": { $pf },
  "logs": { $lf },
  "restart": "scripts/start_sshd.sh --restart target"
}
EOF
)" || true

# smoke test with the real ssh client: target, target via jump, totp (askpass answers prompts)
cat >"$DIR/bin/askpass-totp" <<EOF
#!/bin/sh
# SSH_ASKPASS helper for the totp instance: \$1 is "(totpuser@host) Password: " etc.
case "\$1" in
*"Verification code:"*) exec oathtool --totp -b $TOTP_SECRET ;;
*"Password:"*) echo totppass ;;
*) exit 1 ;;
esac
EOF
chmod 755 "$DIR/bin/askpass-totp"
S=(ssh -F "$C/ssh_config" -o BatchMode=yes -o ConnectTimeout=5)
"${S[@]}" dpd-target true &
p1=$!
"${S[@]}" dpd-via-jump true &
p2=$!
SSH_ASKPASS=$DIR/bin/askpass-totp SSH_ASKPASS_REQUIRE=force \
  ssh -F "$C/ssh_config" -o ConnectTimeout=5 dpd-totp true </dev/null &
p3=$!
wait $p1 || die "ssh dpd-target true failed (see $DIR/target/sshd.log)"
wait $p2 || die "ssh dpd-via-jump true failed (see $DIR/jump/sshd.log)"
wait $p3 || die "ssh dpd-totp true failed (see $DIR/totp/sshd.log)"

printf 'sshd ready on %s: target=%s jump=%s totp=%s pids: %s env: %s (%.1fs)\n' "$HOST" \
  "${PORT[target]}" "${PORT[jump]}" "${PORT[totp]}" "${pids[*]}" "$DIR/env.json" \
  "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')"
