"""OpenPBS 23 command shims over the real local Slurm (test infrastructure, never shipped).

Facts: /work/shared/SCHEDULERS.md sections 1, 6 and 7. Server name `pbs-shim`; the Slurm job
id is the PBS sequence number; history is kept (job_history_enable=True).
"""

import getopt
import json
import os
import re
import shlex
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
import _slurmshim as S  # noqa: E402

SERVER = "pbs-shim"
VERSION = "23.06.06"
DEFAULT_QUEUE = "workq"
KIND = "pbs"

PBSE_UNKJOBID = 153  # 15001 & 0xff
PBSE_HISTJOBID = 35  # 15139 & 0xff
PBSE_UNKQUE = 170  # 15018
PBSE_EXCQRESC = 188  # 15036
PBSE_BADATVAL = 166  # 15014
PBSE_SYSTEM = 15010

QSUB_USAGE = """usage: qsub [-a date_time] [-A account_string] [-c interval]
\t[-C directive_prefix] [-e path] [-f ] [-h ] [-I [-X]] [-j oe|eo] [-J X-Y[:Z]]
\t[-k keep] [-l resource_list] [-m mail_options] [-M user_list]
\t[-N jobname] [-o path] [-p priority] [-P project] [-q queue] [-r y|n]
\t[-R o|e|oe] [-S path] [-u user_list] [-W otherattributes=value...]
\t[-v variable_list] [-V ] [-z] [script | -- command [arg1 ...]]
       qsub --version
"""
QSTAT_USAGE = """usage:
\tqstat [-J] [-p] [-t] [-x] [-E] [-F format] [-D delim] [ job_identifier... | destination... ]
\tqstat -f [-F format] [-D delim] [-J] [-p] [-t] [-x] [-E] [-w] [ job_identifier... | destination... ]
\tqstat [-a|-i|-r|-H|-T] [-J] [-t] [-u user] [-n] [-s] [-G|-M] [-1] [-w] [job_identifier... | destination...]
\tqstat -Q [-f [-F format] [-D delim]] [ destination... ]
\tqstat -q [-G|-M] [ destination... ]
\tqstat -B [-f [-F format] [-D delim]] [ server_name... ]
\tqstat --version
"""
QDEL_USAGE = """usage: qdel [-W force|suppress_email=X] [-x] job_identifier...
       qdel --version
"""
QSELECT_USAGE = """usage: qselect [-a [op]date_time] [-A account_string] [-c [op]interval]
\t[-h hold_list] [-H] [-J] [-l resource_list] [-N name] [-p [op]priority]
\t[-q destination] [-r y|n] [-s states] [-t [op]date_time] [-T] [-x]
\t[-P project] [-u user_name]
       qselect --version
"""


def down(cmd, rc=255):
    server = os.environ.get("PBS_SERVER", SERVER)
    S.die(f"Connection refused\n{cmd}: cannot connect to server {server} (errno={PBSE_SYSTEM})", rc)


def usage(cmd, text, opt=None):
    if opt is not None:
        sys.stderr.write(f"{cmd}: invalid option -- '{opt}'\n")
    S.die(text, 2)


def opterr(cmd, err, text):
    m = re.match(r"option -(\w) (not recognized|requires argument)", str(err))
    if m and m.group(2) == "requires argument":
        sys.stderr.write(f"{cmd}: option requires an argument -- '{m.group(1)}'\n")
        S.die(text, 2)
    usage(cmd, text, m.group(1) if m else "?")


# ---------- sizes and times ----------

def size_bytes(v):
    m = re.fullmatch(r"(\d+)([kmgtp]?)(b|w)?", v.strip().lower())
    if not m:
        return None
    n = int(m.group(1))
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}[m.group(2)]
    if m.group(3) == "w":
        mult *= 8
    return n * mult


def walltime_seconds(v):
    parts = v.strip().split(":")
    if not all(re.fullmatch(r"\d+(\.\d+)?", p) for p in parts) or len(parts) > 3:
        return None
    s = 0
    for p in parts:
        s = s * 60 + float(p)
    return int(s)


def hms(sec):
    sec = int(sec)
    return f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"


def ctime(t):
    return time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(t))


def short_time(t):
    return time.strftime("%a %b %d at %H:%M", time.localtime(t))


# ---------- job ids ----------

def parse_id(text):
    """'123', '123.pbs-shim', '123[]', '123[4].pbs-shim' -> (seq, index|''|None, full)."""
    m = re.fullmatch(r"(\d+)(\[(\d*)\])?(\.([A-Za-z0-9_.-]+))?", text)
    if not m:
        return None
    seq, br, idx = m.group(1), m.group(2), m.group(3)
    index = None if br is None else idx
    full = seq + (f"[{idx}]" if br is not None else "") + "." + SERVER
    return seq, index, full, m.group(5)


# ---------- qsub ----------

QSUB_OPTS = "a:A:c:C:e:fhIj:J:k:l:m:M:N:o:p:P:q:r:R:S:u:v:VW:Xz"


def parse_resources(val, res):
    for item in re.split(r",(?=[A-Za-z_]+=)", val):
        if not item:
            continue
        if "=" not in item:
            return False
        k, v = item.split("=", 1)
        res[k] = v
    return True


def directives(script_text, prefix):
    """Options from the script's leading `#PBS` lines (until the first command)."""
    args = []
    for line in script_text.splitlines()[1 if script_text.startswith("#!") else 0:]:
        s = line.strip()
        if not s:
            continue
        if s.startswith(prefix):
            rest = s[len(prefix):]
            if rest and not rest[0].isspace():
                continue
            rest = rest.split(" #", 1)[0]
            try:
                args.extend(shlex.split(rest))
            except ValueError:
                S.die(f"qsub: directive error: {s}", 1)
            continue
        if s.startswith("#"):
            continue
        break
    return args


def qsub(argv):
    try:
        cli, rest = getopt.getopt(argv, QSUB_OPTS)
    except getopt.GetoptError as e:
        opterr("qsub", e, QSUB_USAGE)
    if not rest:
        script_text, script_name = sys.stdin.read(), "STDIN"
    else:
        path = rest[0]
        if not os.path.isfile(path):
            S.die("qsub: script not a file", 1)
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            script_text = f.read()
        script_name = os.path.basename(path)
    prefix = os.environ.get("PBS_DPREFIX", "#PBS")
    for o, v in cli:
        if o == "-C":
            prefix = v
    try:
        dir_opts, _ = getopt.getopt(directives(script_text, prefix), QSUB_OPTS)
    except getopt.GetoptError as e:
        S.die(f"qsub: directive error: {e}", 1)
    opts = {}
    res = {}
    vlist = []
    for source in (dir_opts, cli):  # command line wins
        for o, v in source:
            if o == "-l":
                if not parse_resources(v, res):
                    sys.stderr.write("qsub: illegal -l value\n")
                    S.die(QSUB_USAGE, 2)
            elif o == "-v":
                vlist.append(v)
            else:
                opts[o] = v
    cwd = os.getcwd()
    name = opts.get("-N", script_name)
    if not re.fullmatch(r"[^\s@:/\\#]{1,236}", name) or name[0].isdigit():
        sys.stderr.write("qsub: illegal -N value\n")
        S.die(QSUB_USAGE, 2)
    try:
        names, default_part = S.partitions()
    except S.SlurmDown:
        down("qsub")
    queue = opts.get("-q", DEFAULT_QUEUE).split("@")[0] or DEFAULT_QUEUE
    if queue == DEFAULT_QUEUE:
        partition = default_part
    elif queue in names:
        partition = queue
    else:
        S.die("qsub: Unknown queue", PBSE_UNKQUE)
    # resources
    rl = {}
    ncpus, nodect, mem = 1, 1, None
    if "select" in res:
        if any(k in res for k in ("ncpus", "mem", "nodes")):
            S.die('qsub: "-lresource=" cannot be used with "select" or "place", resource is: '
                  + next(k for k in ("ncpus", "mem", "nodes") if k in res), PBSE_BADATVAL)
        chunks = res["select"].split("+")
        total_cpus, total_mem, nodect = 0, 0, 0
        for ch in chunks:
            parts = ch.split(":")
            n = int(parts[0]) if parts[0].isdigit() else 1
            c, m = 1, 0
            for p in parts[1 if parts[0].isdigit() else 0:]:
                if "=" not in p:
                    S.die("qsub: Illegal attribute or resource value", PBSE_BADATVAL)
                k, v = p.split("=", 1)
                if k == "ncpus":
                    if not v.isdigit():
                        S.die("qsub: Illegal attribute or resource value", PBSE_BADATVAL)
                    c = int(v)
                elif k == "mem":
                    b = size_bytes(v)
                    if b is None:
                        S.die("qsub: Illegal attribute or resource value", PBSE_BADATVAL)
                    m = b
            nodect += n
            total_cpus += n * c
            total_mem += n * m
        ncpus = total_cpus
        mem = total_mem or None
        rl["select"] = res["select"]
    else:
        if "ncpus" in res:
            if not res["ncpus"].isdigit():
                S.die("qsub: Illegal attribute or resource value", PBSE_BADATVAL)
            ncpus = int(res["ncpus"])
        if "mem" in res:
            mem = size_bytes(res["mem"])
            if mem is None:
                S.die("qsub: Illegal attribute or resource value", PBSE_BADATVAL)
        rl["select"] = f"1:ncpus={ncpus}" + (f":mem={res['mem']}" if "mem" in res else "")
    wall = None
    if "walltime" in res:
        wall = walltime_seconds(res["walltime"])
        if wall is None:
            S.die("qsub: Illegal attribute or resource value", PBSE_BADATVAL)
    for k, v in res.items():
        if k not in ("select", "ncpus", "mem", "walltime", "place", "nodes", "ngpus"):
            S.die("qsub: Unknown resource", 35)  # PBSE_UNKRESC 15035
    rl_out = {"ncpus": ncpus}
    if mem:
        rl_out["mem"] = res.get("mem") or f"{mem // 1024}kb"
    rl_out["nodect"] = nodect
    rl_out["place"] = res.get("place", "pack" if nodect == 1 else "free")
    rl_out["select"] = rl["select"]
    if wall is not None:
        rl_out["walltime"] = hms(wall)
    # array
    array = None
    if "-J" in opts:
        m = re.fullmatch(r"(\d+)-(\d+)(?::(\d+))?(?:%(\d+))?", opts["-J"])
        if not m or int(m.group(1)) >= int(m.group(2)):
            S.die("qsub: Array job range is invalid", 1)
        array = {"a": int(m.group(1)), "b": int(m.group(2)), "step": int(m.group(3) or 1),
                 "throttle": m.group(4)}
    join = opts.get("-j", "n")
    if join not in ("oe", "eo", "n"):
        sys.stderr.write("qsub: illegal -j value\n")
        S.die(QSUB_USAGE, 2)
    # variables
    variables = {}
    for v in vlist:
        for item in re.findall(r'(?:[^,"\']|"[^"]*"|\'[^\']*\')+', v):
            k, eq, val = item.partition("=")
            if not eq:
                val = os.environ.get(k, "")
            variables[k] = val.strip("\"'") if len(val) > 1 and val[0] == val[-1] and val[0] in "\"'" else val
    host = socket.gethostname()
    env = os.environ
    o_vars = {
        "PBS_O_HOME": env.get("HOME", ""),
        "PBS_O_LANG": env.get("LANG", "C"),
        "PBS_O_LOGNAME": env.get("LOGNAME", env.get("USER", "root")),
        "PBS_O_PATH": env.get("PATH", ""),
        "PBS_O_MAIL": env.get("MAIL", "/var/mail/" + env.get("USER", "root")),
        "PBS_O_SHELL": env.get("SHELL", "/bin/bash"),
        "PBS_O_WORKDIR": cwd,
        "PBS_O_SYSTEM": os.uname().sysname,
        "PBS_O_QUEUE": queue,
        "PBS_O_HOST": host,
    }
    all_vars = {**o_vars, **variables}

    def out_path(opt, letter):
        p = opts.get(opt)
        default = f"{name}.{letter}%A" + (".%a" if array else "")
        if p is None:
            return os.path.join(cwd, default)
        if ":" in p and not p.startswith("/"):
            p = p.split(":", 1)[1]
        p = os.path.join(cwd, p)
        if os.path.isdir(p):
            return os.path.join(p, default)
        return p.replace("^array_index^", "%a")

    out = out_path("-o", "o")
    err = out_path("-e", "e")
    sargs = [f"--job-name={name}", f"--partition={partition}"]
    if join == "oe":
        sargs += [f"--output={out}"]
    elif join == "eo":
        sargs += [f"--output={err}"]
    else:
        sargs += [f"--output={out}", f"--error={err}"]
    if wall is not None:
        sargs.append(f"--time={max(1, -(-wall // 60))}")
    if mem:
        sargs.append(f"--mem={max(1, -(-mem // (1 << 20)))}M")
    if "select" in res and nodect > 1:
        sargs += [f"--ntasks={nodect}", f"--cpus-per-task={max(1, ncpus // nodect)}"]
    elif ncpus > 1:
        sargs.append(f"--cpus-per-task={ncpus}")
    if array:
        spec = f"{array['a']}-{array['b']}" + (f":{array['step']}" if array["step"] != 1 else "")
        if array["throttle"]:
            spec += f"%{array['throttle']}"
        sargs.append(f"--array={spec}")
    if "-h" in opts:
        sargs.append("--hold")
    w = opts.get("-W", "")
    m = re.search(r"depend=([a-z]+):([\d.:\[\]A-Za-z_-]+)", w)
    if m:
        deps = [d.split(".")[0].replace("[]", "") for d in m.group(2).split(":")]
        sargs.append(f"--dependency={m.group(1)}:{':'.join(deps)}")
    exports = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in all_vars.items())
    exports += f"""
_seq=${{SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}}
if [ -n "${{SLURM_ARRAY_TASK_ID:-}}" ] && [ {1 if array else 0} = 1 ]; then
  export PBS_ARRAY_INDEX=$SLURM_ARRAY_TASK_ID
  export PBS_ARRAY_ID="$_seq[].{SERVER}"
  export PBS_JOBID="$_seq[$SLURM_ARRAY_TASK_ID].{SERVER}"
else
  export PBS_JOBID="$_seq.{SERVER}"
fi
export PBS_JOBNAME={shlex.quote(name)} PBS_QUEUE={shlex.quote(queue)} PBS_ENVIRONMENT=PBS_BATCH
export PBS_JOBDIR="$HOME" PBS_TASKNUM=1 PBS_MOMPORT=15003
export PBS_NODEFILE="${{TMPDIR:-/tmp}}/pbs-shim-nodefile.$SLURM_JOB_ID"
for _i in $(seq 1 "${{SLURM_CPUS_ON_NODE:-1}}"); do hostname; done > "$PBS_NODEFILE"
unset _seq _i"""
    workdir = env.get("HOME", "/")
    try:
        wrapper = S.write_wrapper(KIND, script_text, exports, workdir)
        rc, sid, serr = S.sbatch(sargs, wrapper)
    except S.SlurmDown:
        down("qsub")
    if rc != 0:
        if "partition" in serr.lower():
            S.die("qsub: Unknown queue", PBSE_UNKQUE)
        if "time" in serr.lower() and "invalid" in serr.lower():
            S.die("qsub: Illegal attribute or resource value", PBSE_BADATVAL)
        S.die("qsub: Job violates queue and/or server resource limits", PBSE_EXCQRESC)
    owner = f"{env.get('USER') or env.get('LOGNAME') or 'root'}@{host}"
    submit_args = " ".join(shlex.quote(a) for a in argv)
    meta = {
        "name": name, "owner": owner, "queue": queue, "partition": partition,
        "out": out, "err": err, "join": join, "host": host, "rl": rl_out,
        "vars": all_vars, "submit_args": submit_args, "ctime": int(time.time()),
        "array": array, "project": opts.get("-P", "_pbs_project_default"),
        "account": opts.get("-A"), "hold": "-h" in opts,
    }
    S.save_meta(KIND, sid, meta)
    print(f"{sid}[].{SERVER}" if array else f"{sid}.{SERVER}")
    return 0


# ---------- status ----------

def state_of(rec, subjob=False):
    """(job_state, substate, Exit_status|None, comment suffix) for one Slurm record."""
    st, reason = rec["state"], rec["reason"]
    if st == "PENDING":
        if reason in ("JobHeldUser", "JobHeldAdmin", "Dependency", "DependencyNeverSatisfied"):
            return "H", 22, None, None
        if reason == "BeginTime":
            return "W", 30, None, None
        return "Q", 10, None, None
    if st in ("RUNNING", "CONFIGURING"):
        return "R", 42, None, None
    if st == "SUSPENDED":
        return "S", 43, None, None
    if st in ("COMPLETING", "STAGE_OUT"):
        return "E", 51, None, None
    if st in ("REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"):
        return "Q", 10, None, None
    done = "X" if subjob else "F"
    started = bool(rec["start"])
    if st == "COMPLETED":
        if rec["code"] == 0 and not rec["signal"]:
            return done, 92, 0, " and finished"
    if st in ("COMPLETED", "FAILED"):
        status = 256 + rec["signal"] if rec["signal"] else rec["code"]
        return done, 93 if status else 92, status, " and failed" if status else " and finished"
    if st in ("TIMEOUT", "DEADLINE"):
        return done, 93, -29, " and exceeded resource walltime"
    if st == "OUT_OF_MEMORY":
        return done, 93, -27, " and exceeded resource mem"
    if st == "CANCELLED":
        return done, 91, 271 if started else None, " and terminated"
    if st in ("NODE_FAIL", "BOOT_FAIL", "LAUNCH_FAILED"):
        return done, 93, -1, " and failed"
    if st == "PREEMPTED":
        return done, 91, 271, " and terminated"
    return done, 93, None, " and failed"


def default_meta(rec):
    return {
        "name": rec["name"], "owner": f"{rec['user'] or 'root'}@{socket.gethostname()}",
        "queue": rec["partition"], "out": "", "err": "", "join": "n",
        "host": socket.gethostname(), "rl": {"ncpus": rec["cpus"], "nodect": 1, "place": "pack",
                                            "select": f"1:ncpus={rec['cpus']}"},
        "vars": {}, "submit_args": "", "ctime": rec["submit"] or int(time.time()),
        "array": None, "project": "_pbs_project_default", "account": None, "hold": False,
    }


def resolve_path(p, seq, index):
    idx = "^array_index^" if index == "" else str(index) if index is not None else ""
    return p.replace("%A", seq).replace("%a", idx).replace(
        "%j", seq)


def job_attrs(rec, meta, seq, index, history):
    """Attributes (insertion-ordered like OpenPBS 23's qstat -f) for a job or subjob."""
    js, sub, status, suffix = state_of(rec, subjob=index is not None)
    host = meta["host"]
    now = int(time.time())
    a = {"Job_Name": meta["name"], "Job_Owner": meta["owner"]}
    started = rec["start"] is not None and js not in ("Q", "H", "W")
    cpus = rec["cpus"] or meta["rl"].get("ncpus", 1)
    if started:
        end = rec["end"] if js in ("F", "X") and rec["end"] else now
        wall = max(0, end - rec["start"])
        a["resources_used"] = {"cpupercent": 0, "cput": "00:00:00", "mem": "0kb",
                               "ncpus": cpus, "vmem": "0kb", "walltime": hms(wall)}
    a["job_state"] = js
    a["queue"] = meta["queue"]
    a["server"] = SERVER
    if meta.get("account"):
        a["Account_Name"] = meta["account"]
    a["Checkpoint"] = "u"
    a["ctime"] = ctime(meta["ctime"])
    a["Error_Path"] = host + ":" + resolve_path(meta["err"], seq, index)
    node = rec["nodes"] or "localhost"
    if started:
        a["exec_host"] = f"{node}/0" + (f"*{cpus}" if cpus > 1 else "")
        a["exec_vnode"] = f"({node}:ncpus={cpus})"
    a["Hold_Types"] = "u" if js == "H" and meta.get("hold") else "n"
    a["Join_Path"] = meta["join"]
    a["Keep_Files"] = "n"
    a["Mail_Points"] = "a"
    a["mtime"] = ctime(rec["end"] or rec["start"] or meta["ctime"])
    a["Output_Path"] = f"{host}:{resolve_path(meta['out'], seq, index)}"
    a["Priority"] = 0
    a["qtime"] = ctime(meta["ctime"])
    a["Rerunable"] = "True"
    a["Resource_List"] = dict(meta["rl"])
    if started:
        a["stime"] = ctime(rec["start"])
    if js in ("F", "X") and rec["end"]:
        a["obittime"] = ctime(rec["end"])
    if started:
        a["session_id"] = int(rec["id"]) % 32768 + 1000
        a["jobdir"] = meta["vars"].get("PBS_O_HOME", "/root")
    a["substate"] = sub
    a["Variable_List"] = dict(meta["vars"])
    if started:
        c = f"Job run at {short_time(rec['start'])} on ({node}:ncpus={cpus})"
        if js in ("F", "X"):
            c += suffix
        a["comment"] = c
    elif js in ("F", "X"):
        a["comment"] = "Job deleted by user" if rec["state"] == "CANCELLED" else "Job failed"
    elif js == "Q" and rec["reason"] in ("Resources", "Priority"):
        a["comment"] = "Not Running: Insufficient amount of resource: ncpus "
    a["etime"] = ctime(meta["ctime"])
    if started or js in ("F", "X"):
        a["run_count"] = 1 if started else 0
    if js in ("F", "X") and started:
        a["Stageout_status"] = 1
    if status is not None and js in ("F", "X"):
        a["Exit_status"] = status
    a["Submit_arguments"] = meta["submit_args"]
    if js in ("F", "X") and rec["end"]:
        a["history_timestamp"] = rec["end"]
    a["project"] = meta["project"]
    a["Submit_Host"] = host
    return a


def array_attrs(recs, meta, seq):
    counts = {"Queued": 0, "Running": 0, "Exiting": 0, "Expired": 0}
    spec = meta["array"] if meta.get("array") else None
    indices = []
    if spec:
        indices = list(range(spec["a"], spec["b"] + 1, spec["step"]))
    remaining = []
    states = {}
    for r in recs:
        if r["task"] is not None:
            states[int(r["task"])] = state_of(r, subjob=True)[0]
        elif r["tasks"]:
            for i in S.expand_tasks(r["tasks"]):
                states[i] = state_of(r, subjob=True)[0]
    if not indices:
        indices = sorted(states)
    for i in indices:
        s = states.get(i, "X")
        if s in ("Q", "H", "W"):
            counts["Queued"] += 1
            remaining.append(i)
        elif s in ("R", "S"):
            counts["Running"] += 1
        elif s == "E":
            counts["Exiting"] += 1
        else:
            counts["Expired"] += 1
    first = dict(recs[0])
    if counts["Running"] or counts["Exiting"] or (counts["Expired"] and counts["Queued"]):
        js = "B"
    elif counts["Queued"]:
        js = "Q"
    else:
        js = "F"
    a = job_attrs({**first, "state": "PENDING" if js == "Q" else "RUNNING",
                   "start": None if js == "Q" else min(r["start"] or 1 << 40 for r in recs),
                   "end": None}, meta, seq, None, True)
    a["job_state"] = js
    a["substate"] = {"Q": 10, "B": 43, "F": 92}[js]
    a.pop("resources_used", None)
    a.pop("exec_host", None)
    a.pop("exec_vnode", None)
    a.pop("session_id", None)
    if js == "F":
        ends = [r["end"] for r in recs if r["end"]]
        if ends:
            a["mtime"] = ctime(max(ends))
            a["history_timestamp"] = max(ends)
        a.pop("comment", None)
    a["array"] = "True"
    a["array_state_count"] = " ".join(f"{k}:{v}" for k, v in counts.items()) + " "
    a["array_indices_submitted"] = compress(indices)
    a["array_indices_remaining"] = compress(remaining) if remaining else "-"
    return a


def compress(idx):
    out, i = [], 0
    idx = sorted(idx)
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        out.append(str(idx[i]) if i == j else f"{idx[i]}-{idx[j]}")
        i = j + 1
    return ",".join(out)


def json_value(v, indent):
    pad = " " * indent
    if isinstance(v, dict):
        if not v:
            return "{\n" + pad + "}"
        items = [f'{pad}    {json.dumps(k, ensure_ascii=False)}:{json_value(x, indent + 4)}'
                 for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v), ensure_ascii=False)


def lookup(spec):
    """(records, meta, seq, index) for a parsed id, or None if Slurm does not know it."""
    seq, index, _, _ = spec
    recs = [r for r in S.jobs(ids=[seq]) if r["id"] == seq or r["array_id"] == seq]
    if not recs:
        return None
    meta = S.load_meta(KIND, seq)
    is_array = any(r["array_id"] for r in recs) or (meta and meta.get("array"))
    if index is None:
        if is_array:
            return None
        return recs, meta or default_meta(recs[0]), seq, None
    if not is_array:
        return None
    meta = meta or default_meta(recs[0])
    if index == "":
        return recs, meta, seq, ""
    i = int(index)
    for r in recs:
        if r["task"] is not None and int(r["task"]) == i:
            return [r], meta, seq, i
        if r["tasks"] and i in S.expand_tasks(r["tasks"]):
            return [{**r, "task": i}], meta, seq, i
    if meta.get("array") and i in range(meta["array"]["a"], meta["array"]["b"] + 1,
                                        meta["array"]["step"]):
        return None
    return None


def is_finished(recs, index):
    if index == "":
        return all(state_of(r, True)[0] == "X" for r in recs)
    return state_of(recs[0], index is not None)[0] in ("F", "X")


QSTAT_OPTS = "aeinpqrstu:xfBGHJMQSTEF:D:wW:1"


def qstat(argv):
    argv = [a for a in argv]
    try:
        opts, ids = getopt.gnu_getopt(argv, QSTAT_OPTS)
    except getopt.GetoptError as e:
        opterr("qstat", e, QSTAT_USAGE)
    flags = {o for o, _ in opts}
    fmt = next((v for o, v in opts if o == "-F"), None)
    if fmt is not None and "-f" not in flags:
        S.die("qstat: conflicting options.\n" + QSTAT_USAGE, 2)
    if fmt is not None and "-w" in flags:
        S.die("qstat: option w cannot be used with -F", 2)
    if fmt not in (None, "json", "dsv"):
        S.die(f"qstat: Invalid output format: {fmt}\n" + QSTAT_USAGE, 2)
    history = "-x" in flags or "-H" in flags
    rc = 0
    shown = []
    errors = []
    try:
        for text in ids:
            spec = parse_id(text)
            if spec is None:
                errors.append(f"qstat: illegally formed job identifier: {text}")
                rc = 1
                continue
            found = lookup(spec)
            full = spec[2]
            if found is None:
                errors.append(f"qstat: Unknown Job Id {full}")
                rc = PBSE_UNKJOBID
                continue
            recs, meta, seq, index = found
            if not history and is_finished(recs, index):
                errors.append(
                    f"qstat: {full} Job has finished, use -x or -H to obtain historical job information")
                rc = PBSE_HISTJOBID
                continue
            if index == "":
                attrs = array_attrs(recs, meta, seq)
            else:
                attrs = job_attrs(recs[0], meta, seq, index, history)
            shown.append((full, attrs))
            if fmt is None:
                # qstat prints each operand's answer (or error) in turn
                flush_one(full, attrs, "-f" in flags, len(shown) == 1)
                for e in errors:
                    sys.stderr.write(e + "\n")
                errors = []
            else:
                pass
    except S.SlurmDown:
        down("qstat")
    if fmt is None:
        for e in errors:
            sys.stderr.write(e + "\n")
        return rc
    if fmt == "json":
        doc = {"timestamp": int(time.time()), "pbs_version": VERSION, "pbs_server": SERVER}
        if shown:
            doc["Jobs"] = dict(shown)
        sys.stdout.write(json_value(doc, 0) + "\n")
    else:
        delim = next((v for o, v in opts if o == "-D"), "|")
        for full, attrs in shown:
            parts = [f"Job Id: {full}"]
            for k, v in attrs.items():
                if isinstance(v, dict):
                    parts += [f"{k}.{kk}={vv}" for kk, vv in v.items()]
                else:
                    parts.append(f"{k}={v}")
            sys.stdout.write(delim.join(parts) + "\n")
    sys.stdout.flush()
    for e in errors:
        sys.stderr.write(e + "\n")
    return rc


def flush_one(full, attrs, full_format, first):
    if full_format:
        lines = [f"Job Id: {full}"]
        for k, v in attrs.items():
            if k == "Variable_List":
                v = ",".join(f"{kk}={vv}" for kk, vv in v.items())
            if isinstance(v, dict):
                for kk, vv in v.items():
                    lines.append(fold(f"    {k}.{kk} = {vv}"))
            else:
                lines.append(fold(f"    {k} = {v}"))
        sys.stdout.write("\n".join(lines) + "\n\n")
        return
    if first:
        sys.stdout.write("Job id            Name             User              Time Use S Queue\n")
        sys.stdout.write("----------------  ---------------- ----------------  -------- - -----\n")
    jid = full.split(".")[0] + "." + SERVER.split(".")[0]
    name = attrs["Job_Name"]
    user = attrs["Job_Owner"].split("@")[0]
    tu = attrs.get("resources_used", {}).get("cput", "0")
    sys.stdout.write("%-17s %-16s %-16s  %8s %1s %-16s\n" % (
        trunc(jid, 17), trunc(name, 16), trunc(user, 16), tu, attrs["job_state"], attrs["queue"]))
    sys.stdout.flush()


def trunc(s, n):
    return s if len(s) < n else s[:n - 1] + "*"


def fold(line):
    if len(line) <= 78:
        return line
    out = [line[:78]]
    rest = line[78:]
    while rest:
        out.append("\t" + rest[:77])
        rest = rest[77:]
    return "\n".join(out)


# ---------- qdel ----------

def qdel(argv):
    try:
        opts, ids = getopt.gnu_getopt(argv, "W:x")
    except getopt.GetoptError as e:
        opterr("qdel", e, QDEL_USAGE)
    if not ids:
        S.die(QDEL_USAGE, 2)
    rc = 0
    try:
        for text in ids:
            spec = parse_id(text)
            if spec is None:
                sys.stderr.write(f"qdel: illegally formed job identifier: {text}\n")
                rc = 1
                continue
            found = lookup(spec)
            if found is None:
                sys.stderr.write(f"qdel: Unknown Job Id {spec[2]}\n")
                rc = PBSE_UNKJOBID
                continue
            recs, meta, seq, index = found
            if is_finished(recs, index):
                if "-x" in {o for o, _ in opts}:
                    continue
                sys.stderr.write(f"qdel: Job has finished {spec[2]}\n")
                rc = PBSE_HISTJOBID
                continue
            target = seq if index in (None, "") else f"{seq}_{index}"
            S.scancel(target)
    except S.SlurmDown:
        down("qdel")
    return rc


# ---------- qselect ----------

def qselect(argv):
    try:
        opts, rest = getopt.getopt(argv, "a:A:c:h:HJl:N:p:q:r:s:t:Tu:xP:")
    except getopt.GetoptError as e:
        opterr("qselect", e, QSELECT_USAGE)
    if rest:
        S.die(QSELECT_USAGE, 2)
    o = dict(opts)
    history = "-x" in o or "-H" in o
    name = o.get("-N")
    try:
        recs = S.jobs(names=[name]) if name is not None else S.jobs()
    except S.SlurmDown:
        down("qselect")
    seen = {}
    for r in recs:
        seq = r["array_id"] or r["id"]
        meta = S.load_meta(KIND, seq)
        if name is not None and (meta["name"] if meta else r["name"]) != name:
            continue
        if "-q" in o and (meta["queue"] if meta else r["partition"]) != o["-q"]:
            continue
        is_array = bool(r["array_id"]) or bool(meta and meta.get("array"))
        seen.setdefault(seq, (is_array, []))[1].append(r)
    for seq in sorted(seen, key=int):
        is_array, rs = seen[seq]
        finished = all(state_of(r, is_array)[0] in ("F", "X") for r in rs)
        if finished and not history:
            continue
        states = o.get("-s")
        if states:
            js = "F" if finished else ("B" if is_array else state_of(rs[0])[0])
            if js not in states:
                continue
        print(f"{seq}[].{SERVER}" if is_array else f"{seq}.{SERVER}")
    return 0


def main(cmd):
    argv = sys.argv[1:]
    if argv == ["--version"]:
        print(f"pbs_version = {VERSION}")
        return 0
    return {"qsub": qsub, "qstat": qstat, "qdel": qdel, "qselect": qselect}[cmd](argv)
