"""JH UniScheduler (JHINNO) command shims over the real local Slurm (test infrastructure only;
see ../README.md).

No JH UniScheduler output was found: its commands are LSF's under other names (dpdispatcher:
"Its overall architecture is similar to that of IBM's LSF"), so jsub/jjobs/`jctrl kill` are the
LSF shim's bsub/bjobs/bkill (../lsf/_lsf.py) with `#JSUB` directives, the `-gpgpu N` option,
JH's command names in their messages, and their own state directory. Default queue `normal`.
"""

import os
import shlex
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lsf"))
import _lsf as L  # noqa: E402

L.KIND = "jh_unischeduler"
L.DOWN_MSG = "JH UniScheduler is down. Please wait ..."
L.BSUB_ARG.add("gpgpu")
L.BSUB_USAGE = L.BSUB_USAGE.replace("bsub", "jsub").replace("[-gpu gpu_req]", "[-gpgpu num]")
L.BJOBS_USAGE = L.BJOBS_USAGE.replace("bjobs", "jjobs")
JCTRL_USAGE = "Usage: jctrl kill [-s sig_value] [jobId ...]\n"


def directives(text):
    """The words of the `#JSUB` lines before the first command (as bsub reads `#BSUB`)."""
    args = []
    for line in text.splitlines()[1 if text.startswith("#!") else 0:]:
        s = line.strip()
        if not s:
            continue
        if s.startswith("#JSUB"):
            try:
                args.extend(shlex.split(s[5:].split(" #", 1)[0]))
            except ValueError:
                pass
            continue
        if s.startswith("#"):
            continue
        break
    return args


L.directives = directives


def jctrl(argv):
    if not argv or argv[0] != "kill":
        L.S.die(JCTRL_USAGE, 255)
    return L.bkill(argv[1:])


def main(cmd):
    return {"jsub": L.bsub, "jjobs": L.bjobs, "jctrl": jctrl}[cmd](sys.argv[1:])
