"""Fujitsu Technical Computing Suite (PJM, as on Fugaku) command shims over the real local Slurm
(test infrastructure only; see ../README.md).

pjsub/pjstat/pjdel answer as the captures in ../testdata/fugaku/README.md show. Resource group
`small` (the default) is Slurm's default partition; any Slurm partition name is a resource
group. The Slurm job id is the PJM job id. Finished jobs show only with `pjstat -H`.
"""

import os
import re
import shlex
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
import _slurmshim as S  # noqa: E402

KIND = "fugaku"
DEFAULT_RSCGRP = "small"
# The message numbers of these two are not known (no capture found): invented, kept apart.
NOT_EXIST = "[ERR.] PJM 0130 {cmd} Job {id} does not exist."
DOWN = "[ERR.] PJM 0010 {cmd} Cannot connect to the job operation management function."

HEADERS = {
    "jid": "JOB_ID", "jnam": "JOB_NAME", "jmdl": "MD", "st": "ST", "usr": "USER",
    "grp": "GROUP", "rscg": "RSC_GRP", "adt": "ACCEPT", "sdt": "START_DATE",
    "elpl": "ELAPSE_LIM", "elp": "ELAPSE_TIM", "nnumr": "NODE_REQUIRE", "ec": "EC", "pc": "PC",
    "sn": "SN", "lst": "LST", "pri": "PRI", "vnode": "VNODE", "core": "CORE", "vmem": "V_MEM",
}
DEFAULT_FIELDS = ["jid", "jnam", "jmdl", "st", "usr", "sdt", "elpl", "nnumr", "vnode", "core",
                  "vmem"]


def err(msg, rc):
    S.die(msg, rc)


def down(cmd):
    err(DOWN.format(cmd=cmd), 1)


# ---------- pjsub ----------

PJSUB_ARG = {"-N", "--name", "-o", "-e", "-x", "-L", "--rsc-list", "--mpi", "-g", "-z",
             "--sparam", "--llio", "-m", "--mail-list", "-p", "--at", "-w"}
PJSUB_FLAG = {"-j", "-X", "-S", "-s", "--no-check-directory", "--restart", "--norestart",
              "--step", "--bulk", "--interact", "--help"}


def parse_pjsub(args):
    """(options as (name, value) pairs, rest)."""
    opts, i = [], 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and "=" in a and a.split("=", 1)[0] in PJSUB_ARG:
            k, v = a.split("=", 1)
            opts.append((k, v))
        elif a in PJSUB_ARG:
            if i + 1 >= len(args):
                err(f"[ERR.] PJM 0004 pjsub option requires an argument: {a}", 1)
            opts.append((a, args[i + 1]))
            i += 1
        elif a in PJSUB_FLAG:
            opts.append((a, None))
        elif a.startswith("-") and a != "-":
            err(f"[ERR.] PJM 0004 pjsub Unknown option: {a}", 1)
        else:
            return opts, args[i:]
        i += 1
    return opts, []


def directives(text):
    words = []
    for line in text.splitlines()[1 if text.startswith("#!") else 0:]:
        s = line.strip()
        if not s:
            continue
        if s.startswith("#PJM"):
            try:
                words.extend(shlex.split(s[4:], comments=True))
            except ValueError:
                pass
            continue
        if s.startswith("#"):
            continue
        break
    return words


def elapse_minutes(v):
    parts = v.split(":")
    if not all(p.isdigit() for p in parts) or len(parts) > 3:
        return None
    secs = 0
    for p in parts:
        secs = secs * 60 + int(p)
    if len(parts) == 1:
        secs = int(parts[0])
    return max(1, -(-secs // 60))


def pjsub(argv):
    opts, rest = parse_pjsub(argv)
    if ("--help", None) in opts:
        print("Usage: pjsub [option...] [script [argument...]]")
        return 0
    if rest:
        path = rest[0]
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            err(f"[ERR.] PJM 0020 pjsub Cannot open the file ({path}) : 2.", 1)
        default_name = os.path.basename(path)
    else:
        text = sys.stdin.read()
        default_name = "STDIN"
    dopts, _ = parse_pjsub(directives(text))
    o, res, envs = {}, {}, []
    for k, v in dopts + opts:  # command line wins
        if k in ("-L", "--rsc-list"):
            for item in v.split(","):
                key, _, val = item.partition("=")
                res[key.strip()] = val.strip()
        elif k == "-x":
            envs.extend(x for x in v.split(",") if x)
        else:
            o["-N" if k == "--name" else k] = v
    for k in ("--step", "--bulk", "--interact"):
        if k in o:
            err(f"[ERR.] PJM 0004 pjsub {k} is not supported by this shim.", 1)
    try:
        names, default_part = S.partitions()
        rc, out, _ = S.run(["sinfo", "-h", "-o", "%D"])
        node_max = sum(int(x) for x in out.split() if x.isdigit()) or 1
    except S.SlurmDown:
        down("pjsub")
    rscgrp = res.get("rscgrp", DEFAULT_RSCGRP)
    if rscgrp == DEFAULT_RSCGRP:
        partition = default_part
    elif rscgrp in names:
        partition = rscgrp
    else:
        err("[ERR.] PJM 0007 pjsub Resource group does not exist", 1)
    nodes = res.get("node", "1").split(":")[0]
    count = 1
    for n in nodes.split("x"):
        if not n.isdigit():
            err(f"[ERR.] PJM 0004 pjsub Invalid resource: node={nodes}", 1)
        count *= int(n)
    if count > node_max:
        err(f"[ERR.] PJM 0057 pjsub node={count} is greater than the upper limit ({node_max}).", 1)
    name = o.get("-N") or default_name
    if len(name.encode()) > 63:
        err("[ERR.] PJM 0004 pjsub Invalid job name", 1)
    cwd = os.getcwd()

    def path(p, ext):
        p = p or f"{name}.%j.{ext}"
        return p if os.path.isabs(p) else os.path.join(cwd, p)

    sargs = [f"--job-name={name}", f"--partition={partition}", f"--nodes={count}",
             f"--output={path(o.get('-o'), 'out')}"]
    sargs.append(f"--error={path(o.get('-o'), 'out')}" if "-j" in o
                 else f"--error={path(o.get('-e'), 'err')}")
    if "elapse" in res:
        mins = elapse_minutes(res["elapse"])
        if mins is None:
            err(f"[ERR.] PJM 0004 pjsub Invalid elapse: {res['elapse']}", 1)
        sargs.append(f"--time={mins}")
    mpi = dict(x.partition("=")[::2] for x in o.get("--mpi", "").split(",") if x)
    per_node = mpi.get("max-proc-per-node")
    if per_node:
        if not per_node.isdigit() or int(per_node) < 1:
            err(f"[ERR.] PJM 0004 pjsub Invalid MPI option: max-proc-per-node={per_node}", 1)
        sargs.append(f"--ntasks-per-node={per_node}")
    # PJM passes only -x variables (and all with -X): the shim keeps the login environment the
    # Slurm job gets, but drops the runner's own DPD_* variables unless -x or -X names them.
    keep = "-X" in o
    exports = "" if keep else "for _v in $(compgen -e | grep '^DPD_'); do unset \"$_v\"; done\n"
    for item in envs:
        k, _, v = item.partition("=")
        exports += f"export {k}={shlex.quote(v)}\n"
    exports += f"""export PJM_JOBID="$SLURM_JOB_ID" PJM_SUBJOBID="$SLURM_JOB_ID"
export PJM_JOBNAME={shlex.quote(name)} PJM_O_WORKDIR={shlex.quote(cwd)}
export PJM_RSCGRP={shlex.quote(rscgrp)} PJM_NODE={count}
"""
    try:
        wrapper = S.write_wrapper(KIND, text, exports, cwd)
        rc, sid, serr = S.sbatch(sargs, wrapper)
    except S.SlurmDown:
        down("pjsub")
    if rc != 0:
        err(f"[ERR.] PJM 0004 pjsub Job submission failed: {serr.strip()}", 1)
    S.save_meta(KIND, sid, {
        "name": name, "rscgrp": rscgrp, "group": o.get("-g", ""), "nodes": count,
        "elapse": res.get("elapse"), "submit": int(time.time()),
        "user": os.environ.get("USER") or os.environ.get("LOGNAME") or "root",
    })
    print(f"[INFO] PJM 0000 pjsub Job {sid} submitted.")
    return 0


# ---------- pjstat / pjdel ----------

def pjm_state(rec):
    """(ST, EC, PC, SN) of a Slurm record."""
    st, code, sig = rec["state"], rec["code"], rec["signal"]
    if st == "PENDING":
        return ("HLD" if rec["reason"] in ("JobHeldUser", "JobHeldAdmin") else "QUE"), "0", "0", "0"
    if st == "CONFIGURING":
        return "RNA", "0", "0", "0"
    if st in ("RUNNING", "STAGE_OUT"):
        return "RUN", "0", "0", "0"
    if st == "COMPLETING":
        return "RNO", "0", "0", "0"
    if st == "SUSPENDED":
        return "SPD", "0", "0", "0"
    if st in ("REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED"):
        return "QUE", "0", "0", "0"
    if st in ("COMPLETED", "FAILED"):
        return ("EXT", "-", "0", str(sig)) if sig else ("EXT", str(code), "0", "0")
    if st == "TIMEOUT":
        return "EXT", "-", "11", "9"
    if st == "OUT_OF_MEMORY":
        return "EXT", "-", "12", "9"
    if st == "DEADLINE":
        return "CCL", "-", "7", "0"
    if st == "CANCELLED":
        return "CCL", "-", "1", "0"
    if st == "PREEMPTED":
        return "EXT", "-", "18", "9"
    if st in ("NODE_FAIL", "BOOT_FAIL", "LAUNCH_FAILED"):
        return "EXT", "-", "20", "0"
    return "ERR", "-", "27", "0"


def finished(rec):
    return pjm_state(rec)[0] in ("EXT", "CCL", "RJT")


def clock(t, paren=False):
    if not t:
        return "-"
    return time.strftime("(%m/%d %H:%M)" if paren else "%m/%d %H:%M:%S", time.localtime(t))


def hms(minutes):
    if minutes is None:
        return "-"
    return f"{minutes // 60:04d}:{minutes % 60:02d}:00"


def value(field, rec, meta):
    st, ec, pc, sn = pjm_state(rec)
    started = bool(rec["start"]) and st not in ("QUE", "HLD", "ACC")
    now = rec["end"] if finished(rec) and rec["end"] else int(time.time())
    elapsed = max(0, now - rec["start"]) if started else 0
    return {
        "jid": rec["id"], "jnam": meta.get("name", rec["name"]), "jmdl": "NM", "st": st,
        "usr": meta.get("user", rec["user"]), "grp": meta.get("group") or "-",
        "rscg": meta.get("rscgrp", DEFAULT_RSCGRP),
        "adt": clock(rec["submit"] or meta.get("submit")),
        "sdt": clock(rec["start"]) if started else clock(rec["submit"], paren=True),
        "elpl": hms(rec["limit"]),
        "elp": f"{elapsed // 3600:04d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}",
        "nnumr": str(meta.get("nodes", 1)), "ec": ec, "pc": pc, "sn": sn,
        "lst": st, "pri": "127", "vnode": "-", "core": "-", "vmem": "-",
    }[field]


def table(headers, rows):
    """PJM's table: each column as wide as its widest cell plus two spaces, the last unpadded."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(headers)]
    out = []
    for cells in [headers, *rows]:
        out.append("".join(c.ljust(w) for c, w in zip(cells[:-1], widths)) + cells[-1])
    return "\n".join(out) + "\n"


def lookup(ids):
    """Slurm records of `ids` (all of the user's jobs when None), by id, with their meta."""
    if ids is None:  # the jobs this shim submitted: its newest 500 state files
        d = S.state_dir(KIND)
        files = [f for f in os.listdir(d) if re.fullmatch(r"\d+\.json", f)]
        files.sort(key=lambda f: os.path.getmtime(os.path.join(d, f)))
        ids = [f[:-5] for f in files[-500:]]
    recs = S.jobs(ids=ids) if ids else []
    out = {}
    for r in recs:
        if r["array_id"]:
            continue
        meta = S.load_meta(KIND, r["id"])
        if meta is not None:
            out[r["id"]] = (r, meta)
    return out


def pjstat(argv):
    history, data, fields, filters, ids, i = False, False, None, {}, [], 0
    while i < len(argv):
        a = argv[i]
        if a in ("-H", "--history"):
            history = True
            if i + 1 < len(argv) and re.fullmatch(r"day=\d+", argv[i + 1]):
                i += 1
        elif a == "--data":
            data = True
        elif a.startswith("--choose="):
            fields = a.split("=", 1)[1].split(",")
        elif a == "--choose" and i + 1 < len(argv):
            fields = argv[i + 1].split(",")
            i += 1
        elif a == "--filter" and i + 1 < len(argv):
            k, _, v = argv[i + 1].partition("=")
            filters[k] = v.split("+")
            i += 1
        elif a in ("-v", "-s", "-S", "-E", "-A"):
            pass
        elif a.startswith("-"):
            err(f"[ERR.] PJM 0004 pjstat Unknown option: {a}", 1)
        else:
            ids.append(a)
        i += 1
    fields = fields or DEFAULT_FIELDS
    bad = [f for f in fields if f not in HEADERS]
    if bad:
        err(f"[ERR.] PJM 0004 pjstat Invalid item name: {bad[0]}", 1)
    if "jid" in filters:
        ids = ids + filters["jid"]
    want = [x for x in ids if x.isdigit()]
    try:
        known = lookup(want if ids else None)
    except S.SlurmDown:
        down("pjstat")
    rows, missing = [], [x for x in ids if x not in known]
    for jid, (rec, meta) in sorted(known.items(), key=lambda kv: int(kv[0])):
        if finished(rec) != history:
            continue
        if "jnam" in filters and meta.get("name") not in filters["jnam"]:
            continue
        rows.append([value(f, rec, meta) for f in fields])
    headers = [HEADERS[f] for f in fields]
    if rows and data:
        sys.stdout.write("\n".join(["H," + ",".join(headers)] + [
            "," + ",".join(r) for r in rows]) + "\n")
    elif rows:
        sys.stdout.write(table(headers, rows))
    sys.stdout.flush()
    for jid in missing:
        sys.stderr.write(NOT_EXIST.format(cmd="pjstat", id=jid) + "\n")
    return 1 if missing else 0


def pjdel(argv):
    if not argv:
        err("Usage: pjdel jobid [jobid...]", 1)
    rc = 0
    try:
        known = lookup([x for x in argv if x.isdigit()])
        for jid in argv:
            entry = known.get(jid)
            if entry is None or finished(entry[0]):
                sys.stderr.write(NOT_EXIST.format(cmd="pjdel", id=jid) + "\n")
                rc = 1
                continue
            S.scancel(jid)
            print(f"[INFO] PJM 0000 pjdel Job {jid} deleted.")
    except S.SlurmDown:
        down("pjdel")
    return rc


def main(cmd):
    return {"pjsub": pjsub, "pjstat": pjstat, "pjdel": pjdel}[cmd](sys.argv[1:])
