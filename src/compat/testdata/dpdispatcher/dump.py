"""Dumps dpdispatcher's key tree (keys.json) and the script lines it writes for the configs in
configs/ (script_lines.json). See README.md. Our code, not dpdispatcher's: it imports dpdispatcher.

    PYTHONPATH=<stubs>:<dargs>:<dpdispatcher> python3 dump.py <configs dir> <out dir>

<stubs> holds throwaway modules paramiko, tqdm and typeguard (imported by dpdispatcher and dargs;
nothing here calls paramiko or tqdm, and typeguard.check_type only checks JSON types).
"""

import copy
import json
import os
import sys
import tempfile
import typing
from types import SimpleNamespace

from dargs import Argument, Variant
from dargs.dargs import _Flags

from dpdispatcher.entrypoints.submit import submission_args
from dpdispatcher.machine import Machine
from dpdispatcher.submission import Resources, Task

# Keys dpdispatcher defines (or reads) but does not use to write or run anything, with why.
UNUSED = {
    "resources.batch_type": "only picks which kwargs are checked (Resources.arginfo)",
    "resources_without_batch_type:resources.batch_type": "allowed for strict checking, ignored",
    "machine.clean_asynchronously": "never read outside arginfo",
}
# Keys dpdispatcher's code reads without declaring them in arginfo.
READ_BY_CODE = [
    ("resources[DistributedShell].kwargs.yarn_path", "machines/distributed_shell.py"),
    ("resources[DistributedShell].kwargs.img_name", "machines/distributed_shell.py"),
    ("resources[DistributedShell].kwargs.mem_limit", "machines/distributed_shell.py"),
]


def type_name(t):
    if t is None or t is type(None):
        return "null"
    origin = typing.get_origin(t)
    if origin is not None:
        return f"{origin.__name__}[{', '.join(type_name(a) for a in typing.get_args(t))}]"
    return t.__name__


def walk(arg: Argument, path: str, out: list, tree: str):
    entry = {"path": path, "type": sorted(type_name(t) for t in arg.dtype)}
    entry["optional"] = arg.optional
    if arg.alias:
        entry["aliases"] = list(arg.alias)
    if arg.default is not _Flags.NONE:
        entry["default"] = arg.default
    if arg.repeat:
        entry["repeat"] = True
    why = UNUSED.get(f"{tree}:{path}", UNUSED.get(path))
    entry["used"] = why is None
    if why:
        entry["unused_because"] = why
    out.append(entry)
    for name, sub in arg.sub_fields.items():
        walk(sub, f"{path}.{name}", out, tree)
    for variant in arg.sub_variants.values():
        walk_variant(variant, path, out, tree)


def walk_variant(variant: Variant, path: str, out: list, tree: str):
    out.append(
        {
            "path": f"{path}.{variant.flag_name}",
            "type": ["str"],
            "optional": variant.optional,
            "used": True,
            "choices": {
                name: sorted(a for a, c in variant.choice_alias.items() if c == name)
                for name in sorted(variant.choice_dict)
            },
        }
    )
    for name in sorted(variant.choice_dict):
        choice = variant.choice_dict[name]
        for sub_name, sub in choice.sub_fields.items():
            walk(sub, f"{path}[{name}].{sub_name}", out, tree)
        for inner in choice.sub_variants.values():
            walk_variant(inner, f"{path}[{name}]", out, tree)


def tree(arg: Argument, root: str, name: str):
    out = []
    walk(arg, root, out, name)
    return out[1:]  # the root itself is implied


def keys():
    trees = {
        "machine": tree(Machine.arginfo(), "machine", "machine"),
        "resources": tree(Resources.arginfo(detail_kwargs=True), "resources", "resources"),
        "resources_without_batch_type": tree(
            Resources.arginfo(detail_kwargs=False), "resources", "resources_without_batch_type"
        ),
        "task": tree(Task.arginfo(), "task", "task"),
        "submission": tree(submission_args(), "submission", "submission"),
    }
    for path, where in READ_BY_CODE:
        trees["resources"].append(
            {"path": path, "used": True, "read_by_code": f"dpdispatcher/{where}"}
        )
    return trees


# (config file, machine part, resources part): the pairs whose script lines are recorded.
PAIRS = [
    ("tests/jsons/machine.json", "machine", "resources"),
    ("tests/jsons/machine_ali_ehpc.json", "machine", "resources"),
    ("tests/jsons/machine_center.json", "batch_local_slurm", "resources_gpu"),
    ("tests/jsons/machine_center.json", "batch_local_slurm", "resources_cpu"),
    ("tests/jsons/machine_if_cuda_multi_devices.json", "machine", "resources"),
    ("tests/jsons/machine_lazy_local_lsf.json", "machine", "resources"),
    ("tests/jsons/machine_lazy_local_slurm.json", "machine", "resources"),
    ("tests/jsons/machine_lazylocal_shell.json", "machine", "resources"),
    ("tests/jsons/machine_local_shell.json", "machine", "resources"),
    ("tests/jsons/machine_lsf.json", "machine", "resources"),
    ("tests/jsons/machine_slurm.json", "machine", "resources"),
    ("tests/jsons/submission.json", "machine", "resources"),
    ("examples/submit_example.json", "machine", "resources"),
    ("examples/machine/expanse.json", None, "examples/resources/expanse_cpu.json"),
    ("examples/machine/mandu.json", None, "examples/resources/mandu.json"),
    ("examples/machine/expanse.json", None, "examples/resources/tiger.json"),
    ("doc/getting-started.md/block1.json", None, "doc/getting-started.md/block2.json"),
    ("tests/jsons/machine_JH_UniScheduler.json", "machine", "resources"),
    ("tests/jsons/machine_lazy_local_jh_unischeduler.json", "machine", "resources"),
    ("tests/jsons/machine_fugaku.json", "machine", "resources"),
    ("tests/jsons/machine_local_fugaku.json", "machine", "resources"),
]


def part(configs, file, key):
    with open(os.path.join(configs, file)) as f:
        data = json.load(f)
    return data if key is None else data[key]


def script_lines(configs):
    out = {}
    for machine_file, machine_key, resources_ref in PAIRS:
        machine_dict = part(configs, machine_file, machine_key)
        if resources_ref.endswith(".json"):
            resources_file, resources_dict = resources_ref, part(configs, resources_ref, None)
            label = f"{machine_file} + {resources_ref}"
        else:
            resources_file = machine_file
            resources_dict = part(configs, machine_file, resources_ref)
            label = f"{machine_file}#{machine_key or ''} + #{resources_ref}"
        local = tempfile.mkdtemp()
        # The same batch type over a local context: no connection, the same script.
        lazy = {"batch_type": machine_dict["batch_type"], "context_type": "LazyLocalContext"}
        machine = Machine.load_from_dict({**lazy, "local_root": local})
        machine.context.remote_root = local  # set by bind_submission in a real run
        cwd = os.getcwd()
        os.chdir(os.path.join(configs, os.path.dirname(resources_file)))  # template paths
        try:
            resources = Resources.load_from_dict(copy.deepcopy(resources_dict))
            job = SimpleNamespace(resources=resources, job_hash="JOBHASH", fail_count=0)
            header = machine.gen_script_header(job)
        finally:
            os.chdir(cwd)
        flags = machine.gen_script_custom_flags_lines(job)
        env = machine.gen_script_env(job)
        env_lines = [
            line
            for line in env.splitlines()
            if line.startswith(("module ", "source ", "export "))
        ] + list(resources.prepend_script)
        out[label] = {
            "header": [line for line in (header + "\n" + flags).splitlines() if line],
            "env": env_lines,
        }
    return out


configs, out_dir = sys.argv[1], sys.argv[2]
with open(os.path.join(out_dir, "keys.json"), "w") as f:
    json.dump(keys(), f, indent=1, default=str)
    f.write("\n")
with open(os.path.join(out_dir, "script_lines.json"), "w") as f:
    json.dump(script_lines(os.path.abspath(configs)), f, indent=1)
    f.write("\n")
