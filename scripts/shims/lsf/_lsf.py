"""IBM Spectrum LSF 10.1 command shims over the real local Slurm (test infrastructure only).

Facts: /work/shared/SCHEDULERS.md sections 4, 6 and 7. Cluster `lsf-shim`, default queue
`normal` (= Slurm's default partition); the Slurm job id (array master id for arrays) is the
LSF job id. CLEAN_PERIOD is 3600 s (LSF_SHIM_CLEAN_PERIOD overrides it).
"""

import json
import os
import re
import shlex
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
import _slurmshim as S  # noqa: E402

CLUSTER = "lsf-shim"
DEFAULT_QUEUE = "normal"
KIND = "lsf"
DOWN_MSG = "LSF is down. Please wait ..."

BSUB_ARG = {"J", "o", "oo", "e", "eo", "q", "n", "W", "We", "M", "R", "P", "gpu", "cwd", "env",
            "w", "G", "u", "i", "m", "c", "L", "g", "sp", "app", "b", "E", "Ep", "k", "sla",
            "U", "D", "F", "S", "v", "ext", "Lp", "Jd", "C", "a", "f", "p", "t", "T", "s"}
BSUB_FLAG = {"H", "x", "B", "N", "K", "I", "r", "rn", "Ip", "Is", "tty", "h", "V"}
BSUB_USAGE = """Usage: bsub [-h] [-V] [-x] [-H] [-I | -Ip | -Is] [-K] [-B] [-N] [-r | -rn]
            [-q queue_name ...] [-a esub_application ...] [-n min_proc[,max_proc]]
            [-R res_req] [-J job_name] [-w depend_cond] [-E pre_exec_command]
            [-i input_file | -is input_file] [-o output_file | -oo output_file]
            [-e error_file | -eo error_file] [-M mem_limit] [-W [hour:]minute[/host_name]]
            [-P project_name] [-cwd "current_working_directory"] [-gpu gpu_req]
            [command [argument ...] | < job_script]
"""
BJOBS_USAGE = """Usage: bjobs [-h] [-V] [-A] [-a] [-aps| -l | -w ] [-d] [-p] [-s] [-r] [-W] [-X] [-x]
             [-noheader] [-o "field_name[:[-]output_width] ... [delimiter='character']"] [-json]
             [-u user_name | -u all] [-q queue_name] [-J job_name] [jobId | "jobId[index_list]" ...]
"""
BKILL_USAGE = """Usage: bkill [-h] [-V] [-l] [-b] [-r | -s sig_value | -d] [-u user_name | -u all]
             [-J job_name] [-q queue_name] [jobId | "jobId[index_list]" ...]
"""

REASONS = {
    "TERM_RUNLIMIT": "TERM_RUNLIMIT: job killed after reaching LSF run time limit",
    "TERM_MEMLIMIT": "TERM_MEMLIMIT: job killed after reaching LSF memory usage limit",
    "TERM_OWNER": "TERM_OWNER: job killed by owner",
    "TERM_ZOMBIE": "TERM_ZOMBIE: job exited while LSF is not available",
}


def down():
    S.die(DOWN_MSG, 255)


def split_opts(argv, takes, flags, cmd, usage_text):
    """LSF-style option parsing (multi-letter options such as -oo, -gpu, -noheader)."""
    opts, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return opts, argv[i + 1:]
        if not a.startswith("-") or a == "-":
            return opts, argv[i:]
        name = a[1:]
        if name in flags:
            opts.append((name, None))
        elif name in takes:
            if i + 1 >= len(argv):
                S.die(f"{cmd}: option requires an argument -- {name}\n" + usage_text, 255)
            opts.append((name, argv[i + 1]))
            i += 1
        elif name[:1] in takes and len(name) > 1 and name not in flags:
            opts.append((name[:1], name[1:]))
        else:
            S.die(f"{cmd}: illegal option -- {name}\n" + usage_text, 255)
        i += 1
    return opts, []


def directives(text):
    args = []
    for line in text.splitlines()[1 if text.startswith("#!") else 0:]:
        s = line.strip()
        if not s:
            continue
        if s.startswith("#BSUB"):
            try:
                args.extend(shlex.split(s[5:].split(" #", 1)[0]))
            except ValueError:
                pass
            continue
        if s.startswith("#"):
            continue
        break
    return args


def mem_mb(v):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGTP]?)B?!?", v.strip(), re.I)
    if not m:
        return None
    n = float(m.group(1))
    unit = (m.group(2) or "K").upper()
    kb = n * {"K": 1, "M": 1024, "G": 1 << 20, "T": 1 << 30, "P": 1 << 40}[unit]
    return max(1, int(-(-kb // 1024)))


def runlimit_minutes(v):
    v = v.split("/")[0]
    m = re.fullmatch(r"(?:(\d+):)?(\d+)", v)
    if not m:
        return None
    return int(m.group(1) or 0) * 60 + int(m.group(2))


def bsub(argv):
    opts, command = split_opts(argv, BSUB_ARG, BSUB_FLAG, "bsub", BSUB_USAGE)
    if ("V", None) in opts:
        S.die("IBM Spectrum LSF 10.1.0.0, Jul 09 2016", 0)
    if ("h", None) in opts:
        S.die(BSUB_USAGE, 0)
    if command:
        text = "#!/bin/sh\n" + " ".join(command) + "\n"
    else:
        text = sys.stdin.read()
        if not text.strip():
            S.die("No command is specified. Job not submitted.", 255)
    dopts, _ = split_opts(directives(text), BSUB_ARG, BSUB_FLAG, "bsub", BSUB_USAGE)
    o = {}
    for k, v in dopts + opts:  # command line wins
        o[k] = v
    try:
        names, default_part = S.partitions()
    except S.SlurmDown:
        down()
    queue_given = "q" in o
    queue = o.get("q", DEFAULT_QUEUE).split()[0]
    if queue == DEFAULT_QUEUE:
        partition = default_part
    elif queue in names:
        partition = queue
    else:
        S.die(f"{queue}: No such queue. Job not submitted.", 255)
    cwd = os.path.abspath(o.get("cwd", os.getcwd()))
    jname = o.get("J")
    array = None
    name = jname
    if jname:
        m = re.fullmatch(r"(.*?)\[([\d,:\-]+)\](?:%(\d+))?", jname)
        if m:
            name, spec, thr = m.group(1), m.group(2), m.group(3)
            try:
                idx = S.expand_tasks(spec)
            except ValueError:
                idx = []
            if not idx or min(idx) < 1:
                S.die("Bad job name. Job not submitted.", 255)
            array = {"spec": spec, "throttle": thr, "indices": idx}
    if not name:
        name = " ".join(command) if command else next(
            (ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "STDIN")
    sargs = [f"--job-name={name}", f"--partition={partition}"]

    def path(p):
        p = p.replace("%J", "%A").replace("%I", "%a" if array else "0")
        return os.path.join(cwd, p)

    out = o.get("oo", o.get("o"))
    err = o.get("eo", o.get("e"))
    sargs.append(f"--output={path(out) if out else '/dev/null'}")
    if err:
        sargs.append(f"--error={path(err)}")
    elif not out:
        sargs.append("--error=/dev/null")
    sargs.append("--open-mode=" + ("truncate" if ("oo" in o or "eo" in o) else "append"))
    if "W" in o:
        mins = runlimit_minutes(o["W"])
        if mins is None:
            S.die(f"{o['W']}: Bad RUNLIMIT specification. Job not submitted.", 255)
        sargs.append(f"--time={max(1, mins)}")
    if "M" in o:
        mb = mem_mb(o["M"])
        if mb is None:
            S.die(f"{o['M']}: Bad argument for option -M. Job not submitted.", 255)
        sargs.append(f"--mem={mb}M")
    slots = 1
    if "n" in o:
        n = o["n"].split(",")[-1]
        if not n.isdigit() or int(n) < 1:
            S.die(f"{o['n']}: Bad argument for option -n. Job not submitted.", 255)
        slots = int(n)
        sargs.append(f"--ntasks={slots}")
    if array:
        spec = array["spec"] + (f"%{array['throttle']}" if array["throttle"] else "")
        sargs.append(f"--array={spec}")
    if "H" in o:
        sargs.append("--hold")
    if "w" in o:
        deps = re.findall(r"(done|ended|exit)\((\d+)\)", o["w"])
        conv = {"done": "afterok", "ended": "afterany", "exit": "afternotok"}
        if deps:
            sargs.append("--dependency=" + ",".join(f"{conv[k]}:{j}" for k, j in deps))
    host = socket.gethostname()
    exports = f"""export LSB_JOBID=${{SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}}
export LSB_JOBINDEX={'"$SLURM_ARRAY_TASK_ID"' if array else 0}
export LSB_JOBNAME={shlex.quote(name)}{'"[$SLURM_ARRAY_TASK_ID]"' if array else ''}
export LSB_QUEUE={shlex.quote(queue)} LSB_SUB_HOST={shlex.quote(host)}
export LS_SUBCWD={shlex.quote(cwd)} LS_EXECCWD={shlex.quote(cwd)}
export LSB_DJOB_NUMPROC={slots} LSB_MAX_NUM_PROCESSORS={slots}
export LSB_HOSTS="$(for _i in $(seq 1 {slots}); do printf '%s ' "$(hostname)"; done)"
export LSB_HOSTS="${{LSB_HOSTS% }}" LSB_MCPU_HOSTS="$(hostname) {slots}"
export LSB_JOBFILENAME="$0"
unset _i"""
    try:
        wrapper = S.write_wrapper(KIND, text, exports, cwd)
        rc, sid, serr = S.sbatch(sargs, wrapper)
    except S.SlurmDown:
        down()
    if rc != 0:
        if "partition" in serr.lower():
            S.die(f"{queue}: No such queue. Job not submitted.", 255)
        S.die("Job not submitted.", 255)
    S.save_meta(KIND, sid, {
        "name": name, "queue": queue, "slots": slots, "host": host, "cwd": cwd,
        "out": out or "", "err": err or "", "project": o.get("P", "default"),
        "array": array, "submit": int(time.time()), "command": " ".join(command) or text,
        "mem": o.get("M"), "runlimit": o.get("W"),
        "user": os.environ.get("USER") or os.environ.get("LOGNAME") or "root",
    })
    where = "queue" if queue_given else "default queue"
    print(f"Job <{sid}> is submitted to {where} <{queue}>.")
    return 0


# ---------- status ----------

def lsf_state(rec):
    """(STAT, EXIT_CODE, EXIT_REASON keyword or '')."""
    st, reason = rec["state"], rec["reason"]
    if st == "PENDING":
        if reason in ("JobHeldUser", "JobHeldAdmin"):
            return "PSUSP", "", ""
        return "PEND", "", ""
    if st in ("RUNNING", "CONFIGURING", "COMPLETING", "STAGE_OUT"):
        return "RUN", "", ""
    if st == "SUSPENDED":
        return "USUSP", "", ""
    if st in ("REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED"):
        return "PEND", "", ""
    if st == "COMPLETED" and rec["code"] == 0 and not rec["signal"]:
        return "DONE", "", ""
    if st in ("COMPLETED", "FAILED"):
        return "EXIT", str(rec["code"] if not rec["signal"] else 128 + rec["signal"]), ""
    if st in ("TIMEOUT", "DEADLINE"):
        return "EXIT", "140", "TERM_RUNLIMIT"
    if st == "OUT_OF_MEMORY":
        return "EXIT", "130", "TERM_MEMLIMIT"
    if st in ("CANCELLED", "PREEMPTED"):
        return "EXIT", "", "TERM_OWNER"
    if st in ("NODE_FAIL", "BOOT_FAIL", "LAUNCH_FAILED"):
        return "EXIT", "", "TERM_ZOMBIE"
    return "UNKWN", "", ""


PEND_REASONS = {
    "Resources": "Not enough job slot(s)",
    "Priority": "New job is waiting for scheduling",
    "None": "New job is waiting for scheduling",
    "Dependency": "Job dependency condition not satisfied",
    "DependencyNeverSatisfied": "Dependency condition invalid or never satisfied",
    "JobHeldUser": "The job was suspended by the user while pending",
    "JobHeldAdmin": "The job was suspended by LSF admin or root while pending",
    "BeginTime": "The job has a specified start time",
}


def lsf_time(t, finished=False):
    if not t:
        return ""
    return time.strftime("%b %e %H:%M", time.localtime(t)) + (" L" if finished else "")


def elements(rec, meta):
    """One LSF record per array element (a pending Slurm array record holds several)."""
    if rec["tasks"] and rec["task"] is None:
        return [{**rec, "task": i} for i in S.expand_tasks(rec["tasks"])]
    return [rec]


def field_value(f, rec, meta):
    stat, code, kw = lsf_state(rec)
    finished = stat in ("DONE", "EXIT")
    idx = rec["task"] if rec["array_id"] else None
    name = meta["name"] + (f"[{idx}]" if idx is not None else "")
    started = bool(rec["start"]) and stat not in ("PEND", "PSUSP")
    node = rec["nodes"] or "localhost"
    slots = meta.get("slots", rec["cpus"])
    v = {
        "jobid": rec["array_id"] or rec["id"],
        "jobindex": str(idx if idx is not None else 0),
        "job_name": name,
        "name": name,
        "stat": stat,
        "user": meta.get("user", rec["user"]),
        "queue": meta["queue"],
        "project": meta.get("project", "default"),
        "from_host": meta.get("host", socket.gethostname()),
        "exec_host": (f"{slots}*{node}" if slots > 1 else node) if started else "",
        "submit_time": lsf_time(rec["submit"] or meta.get("submit")),
        "start_time": lsf_time(rec["start"]) if started else "",
        "finish_time": lsf_time(rec["end"], True) if finished and rec["end"] else "",
        "exit_code": code,
        "exit_reason": REASONS.get(kw, kw),
        "pend_reason": PEND_REASONS.get(rec["reason"], rec["reason"]) + ";"
        if stat in ("PEND", "PSUSP") else "",
        "slots": str(slots) if started else "",
        "nalloc_slot": str(slots) if started else "",
        "run_time": f"{max(0, (rec['end'] if finished and rec['end'] else int(time.time())) - rec['start'])} second(s)"
        if started else "0 second(s)",
        "exec_cwd": meta.get("cwd", rec["workdir"]) if started else "",
        "sub_cwd": meta.get("cwd", rec["workdir"]),
        "command": meta.get("command", ""),
        "output_file": meta.get("out", ""),
        "error_file": meta.get("err", ""),
        "runtimelimit": f"{rec['limit'] // 60:02d}:{rec['limit'] % 60:02d}:00" if rec["limit"] else "",
        "max_mem": "",
        "mem": "",
        "cpu_used": "00:00:00",
        "dependency": "",
    }
    return v.get(f)


def parse_fields(spec):
    fields, delim = [], " "
    m = re.search(r"delimiter=['\"](.*?)['\"]", spec)
    if m:
        delim = m.group(1)
        spec = spec[:m.start()] + spec[m.end():]
    for tok in spec.split():
        fname = tok.split(":")[0].lower()
        if fname == "id":
            fname = "jobid"
        fields.append(fname)
    return fields, delim


def json_doc(records):
    def s(v):
        return json.dumps(v, ensure_ascii=False).replace("/", "\\/")
    lines = ["{", '  "COMMAND":"bjobs",', f'  "JOBS":{len(records)},', '  "RECORDS":[']
    for n, rec in enumerate(records):
        lines.append("    {")
        items = [f"      {s(k)}:{s(v)}" for k, v in rec.items()]
        lines.append(",\n".join(items))
        lines.append("    }" + ("," if n + 1 < len(records) else ""))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def clean_period():
    try:
        return int(os.environ.get("LSF_SHIM_CLEAN_PERIOD", "3600"))
    except ValueError:
        return 3600


def visible(rec):
    stat = lsf_state(rec)[0]
    if stat in ("DONE", "EXIT") and rec["end"] and time.time() - rec["end"] > clean_period():
        return False
    return True


def parse_lsf_id(text):
    m = re.fullmatch(r"(\d+)(?:\[(\d+)\])?", text)
    if not m:
        return None
    return m.group(1), (int(m.group(2)) if m.group(2) else None)


def find(seq, idx):
    recs = [r for r in S.jobs(ids=[seq]) if (r["id"] == seq and not r["array_id"])
            or r["array_id"] == seq]
    out = []
    meta = S.load_meta(KIND, seq)
    for r in recs:
        m = meta or {"name": r["name"], "queue": r["partition"], "slots": r["cpus"],
                     "user": r["user"], "cwd": r["workdir"]}
        for e in elements(r, m):
            if idx is not None and e["task"] != idx:
                continue
            if visible(e):
                out.append((e, m))
    out.sort(key=lambda x: (int(x[0]["array_id"] or x[0]["id"]), x[0]["task"] or 0))
    return out


def bjobs(argv):
    takes = {"o", "J", "u", "q", "m", "P", "G", "g", "app", "sla", "Lp"}
    flags = {"a", "d", "p", "r", "s", "l", "w", "W", "A", "x", "X", "json", "noheader", "aps",
             "UF", "h", "V", "N", "WL", "WP", "WF", "fwd", "hostfile", "plan"}
    opts, ids = split_opts(argv, takes, flags, "bjobs", BJOBS_USAGE)
    o = dict(opts)
    if "json" in o and "o" not in o:
        S.die("The -json option must be used with the -o option.", 255)
    if "json" in o and "noheader" in o:
        S.die("The -json option cannot be used with the -noheader option.", 255)
    fields = None
    if "o" in o:
        fields, delim = parse_fields(o["o"])
        bad = [f for f in fields if field_value(f, _DUMMY, _DUMMY_META) is None]
        if bad:
            S.die(f"{bad[0]}: Illegal field name. Use -h to see the valid field names.", 255)
    show_all = "a" in o
    only_done = "d" in o
    rows, errors = [], []
    try:
        if ids:
            for text in ids:
                p = parse_lsf_id(text)
                found = find(*p) if p else []
                if not found:
                    errors.append(text)
                    rows.append((None, text))
                rows.extend(found)
        else:
            recs = S.jobs(names=[o["J"]]) if "J" in o else S.jobs()
            seen = set()
            for r in recs:
                seq = r["array_id"] or r["id"]
                if seq in seen:
                    continue
                seen.add(seq)
                for e, m in find(seq, None):
                    if "J" in o and m["name"] != o["J"]:
                        continue
                    stat = lsf_state(e)[0]
                    fin = stat in ("DONE", "EXIT")
                    if only_done and not fin or (not show_all and not only_done and fin):
                        continue
                    rows.append((e, m))
    except S.SlurmDown:
        down()
    rc = 255 if errors else 0
    if "json" not in o:
        rows = [(e, m) for e, m in rows if e is not None]
    if "json" in o:
        records = []
        for e, m in rows:
            if e is None:
                records.append({"JOBID": m, "ERROR": f"Job <{m}> is not found"})
            else:
                records.append({f.upper(): field_value(f, e, m) for f in fields})
        sys.stdout.write(json_doc(records))
        return rc
    if fields is not None:
        if rows and "noheader" not in o:
            print(delim.join(f.upper() for f in fields))
        for e, m in rows:
            print(delim.join(field_value(f, e, m) or "-" for f in fields))
    else:
        if rows and "noheader" not in o:
            print("JOBID   USER    STAT  QUEUE      FROM_HOST   EXEC_HOST   JOB_NAME   SUBMIT_TIME")
        for e, m in rows:
            v = {f: field_value(f, e, m) for f in ("jobid", "user", "stat", "queue", "from_host",
                                                 "exec_host", "job_name", "submit_time")}
            print("%-7s %-7.7s %-5.5s %-10.10s %-11.11s %-11.11s %-10.10s %-14.14s" % (
                v["jobid"], v["user"], v["stat"], v["queue"], v["from_host"], v["exec_host"],
                v["job_name"], v["submit_time"]))
    sys.stdout.flush()
    for text in errors:
        sys.stderr.write(f"Job <{text}> is not found\n")
    if not ids and not rows:
        sys.stderr.write("No job found\n" if (show_all or only_done) else "No unfinished job found\n")
        return 255
    return rc


_DUMMY = {"id": "1", "array_id": None, "task": None, "tasks": "", "name": "x", "state": "PENDING",
          "reason": "None", "code": 0, "signal": 0, "submit": 0, "start": None, "end": None,
          "partition": "", "limit": None, "user": "", "nodes": "", "cpus": 1, "workdir": ""}
_DUMMY_META = {"name": "x", "queue": "normal"}


def bkill(argv):
    opts, ids = split_opts(argv, {"s", "J", "u", "q", "m", "app", "g", "sla", "C"},
                           {"l", "b", "r", "d", "h", "V", "stat"}, "bkill", BKILL_USAGE)
    o = dict(opts)
    if "l" in o:
        print("HUP INT QUIT ILL TRAP ABRT EMT FPE KILL BUS SEGV SYS PIPE ALRM TERM URG STOP TSTP "
              "CONT CHLD TTIN TTOU IO XCPU XFSZ VTALRM PROF WINCH USR1 USR2")
        return 0
    if not ids:
        S.die(BKILL_USAGE, 255)
    verb = "being terminated" if "s" not in o else (
        "being stopped" if o["s"].upper() in ("STOP", "17", "19") else "being signaled")
    if "d" in o:
        verb = "deleted"
    rc = 0
    try:
        for text in ids:
            p = parse_lsf_id(text)
            found = find(*p) if p else []
            if not found:
                sys.stderr.write(f"Job <{text}>: No matching job found\n")
                rc = 255
                continue
            live = [e for e, _ in found if lsf_state(e)[0] not in ("DONE", "EXIT")]
            if not live:
                sys.stderr.write(f"Job <{text}>: Job has already finished\n")
                rc = 255
                continue
            seq, idx = p
            target = seq if idx is None else f"{seq}_{idx}"
            if "s" in o and "d" not in o:
                S.run(["scancel", f"--signal={o['s']}", target])
            else:
                S.scancel(target)
            print(f"Job <{text}> is {verb}")
    except S.SlurmDown:
        down()
    return rc


def main(cmd):
    return {"bsub": bsub, "bjobs": bjobs, "bkill": bkill}[cmd](sys.argv[1:])
