"""Shared Slurm plumbing for the PBS and LSF command shims (test infrastructure only).

The shims run every job on the real local Slurm and answer in the foreign scheduler's own
words. This module knows nothing about PBS or LSF: it submits, cancels and looks jobs up.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import time

TIMEOUT = 60


class SlurmDown(Exception):
    """The Slurm controller (or its database) could not be reached."""


DOWN_PATTERNS = (
    "Unable to contact slurm controller",
    "Problem talking to the database",
    "Socket timed out",
    "Connection refused",
    "Zero Bytes were transmitted or received",
)


def run(cmd, input_text=None, env=None):
    """Run a Slurm client command; returns (rc, stdout, stderr). Raises SlurmDown."""
    try:
        p = subprocess.run(
            cmd,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
        )
    except subprocess.TimeoutExpired as e:
        raise SlurmDown(str(e)) from e
    except FileNotFoundError as e:
        raise SlurmDown(str(e)) from e
    if p.returncode != 0 and any(s in p.stderr for s in DOWN_PATTERNS):
        raise SlurmDown(p.stderr.strip())
    return p.returncode, p.stdout, p.stderr


def state_dir(kind):
    base = os.environ.get("DPD_SHIM_STATE") or f"/tmp/dpd-shims-{os.getuid()}"
    d = os.path.join(base, kind)
    os.makedirs(d, exist_ok=True)
    return d


def save_meta(kind, job_id, meta):
    path = os.path.join(state_dir(kind), f"{job_id}.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f)
    os.replace(tmp, path)


def load_meta(kind, job_id):
    try:
        with open(os.path.join(state_dir(kind), f"{job_id}.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def partitions():
    """(names, default) of the Slurm partitions."""
    rc, out, err = run(["sinfo", "-h", "-o", "%P"])
    if rc != 0:
        raise SlurmDown(err.strip())
    names, default = [], None
    for line in out.split():
        if line.endswith("*"):
            line = line[:-1]
            default = line
        if line not in names:
            names.append(line)
    return names, default or (names[0] if names else "debug")


def write_wrapper(kind, script_text, exports, workdir):
    """Store a copy of the job script plus a wrapper that sets the scheduler's variables.

    `exports` is a shell snippet evaluated inside the job (it can use SLURM_* variables).
    Returns the wrapper path. The job script is copied, as qsub/bsub spool it at submit time.
    """
    d = state_dir(kind)
    stamp = f"{time.time_ns()}-{os.getpid()}"
    script = os.path.join(d, f"script-{stamp}")
    with open(script, "w", encoding="utf-8") as f:
        f.write(script_text)
    os.chmod(script, 0o700)
    wrapper = os.path.join(d, f"wrap-{stamp}.sh")
    runner = (
        f"exec {shlex.quote(script)}"
        if script_text.startswith("#!")
        else f"exec /bin/sh {shlex.quote(script)}"
    )
    with open(wrapper, "w", encoding="utf-8") as f:
        f.write("#!/bin/bash\n")
        f.write(exports)
        f.write(f"\ncd {shlex.quote(workdir)} 2>/dev/null || cd \"$HOME\"\n")
        f.write(runner + "\n")
    os.chmod(wrapper, 0o700)
    return wrapper


def sbatch(args, wrapper, env=None):
    """Submit; returns (rc, job id or None, stderr)."""
    rc, out, err = run(["sbatch", "--parsable", *args, wrapper], env=env)
    if rc != 0:
        return rc, None, err
    return 0, out.strip().split(";")[0], err


def _iso_to_epoch(s):
    if not s or s in ("Unknown", "None"):
        return None
    try:
        return int(time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def _limit_minutes(s):
    """Slurm's Timelimit text ([D-]HH:MM:SS, MM:SS, UNLIMITED) to minutes, or None."""
    if not s or s in ("UNLIMITED", "Partition_Limit", "INVALID"):
        return None
    days = 0
    if "-" in s:
        d, s = s.split("-", 1)
        days = int(d)
    parts = [int(p) for p in s.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    h, m, sec = parts
    return days * 1440 + h * 60 + m + (1 if sec else 0)


def jobs(ids=None, names=None):
    """Job records from the controller (squeue --json, every job it remembers) and, for the
    rest, from accounting (sacct). `ids` are Slurm ids (raw or array master ids); `names`
    selects by job name. Each record is a dict with: id (raw), array_id, task (int|None),
    tasks (compressed string for a pending array record), name, state, reason, code, signal,
    submit, start, end, partition, limit (minutes|None), user, nodes, cpus, workdir."""
    rc, out, err = run(["squeue", "--json", "-t", "all"])
    try:
        doc = json.loads(out)
    except ValueError as e:
        raise SlurmDown(err.strip() or "squeue gave no JSON") from e
    if rc != 0 or doc.get("errors"):
        raise SlurmDown("slurm_load_jobs error: Unable to contact slurm controller")
    want = set(str(i) for i in ids) if ids is not None else None
    wanted_names = set(names) if names is not None else None
    recs = {}
    for j in doc.get("jobs", []):
        raw = str(j["job_id"])
        arr = str(j.get("array_job_id") or 0)
        array_id = arr if arr != "0" else None
        if want is not None and raw not in want and (array_id or "") not in want:
            continue
        if wanted_names is not None and j.get("name") not in wanted_names:
            continue
        status = int(j.get("exit_code") or 0)
        if status & 0x7F:
            code, sig = 0, status & 0x7F
        else:
            code, sig = (status >> 8) & 0xFF, 0
        lim = j.get("time_limit")
        recs[raw] = {
            "id": raw,
            "array_id": array_id,
            "task": j.get("array_task_id"),
            "tasks": j.get("array_task_string") or "",
            "name": j.get("name", ""),
            "state": j.get("job_state", "UNKNOWN"),
            "reason": j.get("state_reason", "None"),
            "code": code,
            "signal": sig,
            "submit": j.get("submit_time") or None,
            "start": j.get("start_time") or None,
            "end": j.get("end_time") or None,
            "partition": j.get("partition", ""),
            "limit": None if not lim or lim > 10**8 else int(lim),
            "user": j.get("user_name", ""),
            "nodes": j.get("nodes", ""),
            "cpus": int(j.get("cpus") or 1),
            "workdir": j.get("current_working_directory", ""),
        }
        if recs[raw]["state"] == "PENDING":
            recs[raw]["start"] = None
            recs[raw]["end"] = None
    missing = None if want is None else [i for i in want if i not in recs and not any(
        r["array_id"] == i for r in recs.values())]
    if (missing is None or missing) and (want is not None or wanted_names is not None):
        cmd = ["sacct", "-X", "-P", "-n", "-o",
               "JobIDRaw,JobID,JobName,State,ExitCode,Partition,Submit,Start,End,"
               "Timelimit,User,NodeList,AllocCPUS,WorkDir,Reason"]
        if missing is not None:
            cmd += ["-j", ",".join(missing)]
        else:
            cmd += ["-S", "now-14days", f"--name={','.join(sorted(wanted_names))}"]
        rc, out, err = run(cmd)
        if rc != 0:
            raise SlurmDown(err.strip())
        for line in out.splitlines():
            f = line.split("|")
            if len(f) < 15:
                continue
            raw, jid = f[0], f[1]
            if raw in recs:
                continue
            if wanted_names is not None and f[2] not in wanted_names:
                continue
            array_id, task, tasks = None, None, ""
            m = re.match(r"^(\d+)_(\d+)$", jid)
            if m:
                array_id, task = m.group(1), int(m.group(2))
            m = re.match(r"^(\d+)_\[(.*)\]$", jid)
            if m:
                array_id, tasks = m.group(1), m.group(2).split("%")[0]
            if missing is not None and raw not in missing and array_id not in missing:
                continue
            code, _, sig = f[4].partition(":")
            state = f[3].split(" ")[0]
            recs[raw] = {
                "id": raw,
                "array_id": array_id,
                "task": task,
                "tasks": tasks,
                "name": f[2],
                "state": state,
                "reason": f[14],
                "code": int(code or 0),
                "signal": int(sig or 0),
                "submit": _iso_to_epoch(f[6]),
                "start": _iso_to_epoch(f[7]),
                "end": _iso_to_epoch(f[8]),
                "partition": f[5],
                "limit": _limit_minutes(f[9]),
                "user": f[10],
                "nodes": "" if f[11] == "None assigned" else f[11],
                "cpus": int(f[12] or 1),
                "workdir": f[13],
            }
    return list(recs.values())


def expand_tasks(spec):
    """'1-3,7' or '1-9:2' to a list of ints."""
    out = []
    for part in spec.split(","):
        part = part.split("%")[0]
        if not part:
            continue
        step = 1
        if ":" in part:
            part, s = part.split(":", 1)
            step = int(s)
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1, step))
        else:
            out.append(int(part))
    return out


def scancel(slurm_id):
    rc, _, err = run(["scancel", slurm_id])
    return rc, err


def die(msg, rc):
    if msg:
        sys.stderr.write(msg if msg.endswith("\n") else msg + "\n")
    sys.stderr.flush()
    sys.exit(rc)
