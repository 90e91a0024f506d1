/**
 * Every key dpdispatcher's JSON inputs define, from its `arginfo()` (`machine.py`,
 * `submission.py`, `contexts/*.py`, `machines/*.py`), plus the few this port adds. The test
 * beside it pins the table against `testdata/dpdispatcher/keys.json`, dumped from dpdispatcher.
 *
 * @module
 */

/** `machine` keys (`machine_type` is this port's old name of `batch_type`). */
export const MACHINE_KEYS: readonly string[] = [
  "batch_type",
  "context_type",
  "local_root",
  "remote_root",
  "clean_asynchronously",
  "retry_count",
  "remote_profile",
  "machine_type",
];

/** `machine.remote_profile` keys by canonical context type (SSH's are in `_ssh_profile.ts`). */
export const REMOTE_PROFILE_KEYS: Readonly<Record<string, readonly string[]>> = {
  LazyLocalContext: [],
  LocalContext: ["symlink"],
  HDFSContext: [],
  OpenAPIContext: [],
  BohriumContext: [
    "email",
    "password",
    "phone",
    "program_id",
    "project_id",
    "retry_count",
    "ignore_exit_code",
    "keep_backup",
    "input_data",
  ],
};

/** dpdispatcher's `resources` keys, then this port's typed extras. */
export const RESOURCES_KEYS: readonly string[] = [
  "number_node",
  "cpu_per_node",
  "gpu_per_node",
  "queue_name",
  "group_size",
  "custom_flags",
  "strategy",
  "para_deg",
  "source_list",
  "module_purge",
  "module_unload_list",
  "module_list",
  "envs",
  "prepend_script",
  "append_script",
  "wait_time",
  "kwargs",
  "batch_type",
  "walltime",
  "memory",
  "account",
  "qos",
  "job_name",
];

/** `resources.strategy` keys. */
export const STRATEGY_KEYS: readonly string[] = [
  "if_cuda_multi_devices",
  "ratio_unfinished",
  "customized_script_header_template_file",
];

/** `task` keys. */
export const TASK_KEYS: readonly string[] = [
  "command",
  "task_work_path",
  "forward_files",
  "backward_files",
  "outlog",
  "errlog",
  "envs",
];

/** `submission` keys. */
export const SUBMISSION_KEYS: readonly string[] = [
  "work_base",
  "machine",
  "resources",
  "task_list",
  "forward_common_files",
  "backward_common_files",
];

/**
 * `resources.kwargs` keys by canonical batch type, each with its aliases: declared in arginfo,
 * or (DistributedShell) read by the code. The job-size keys of PBS, SGE and LSF are this port's
 * job arrays.
 */
export const KWARGS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  Bohrium: {},
  DistributedShell: { yarn_path: [], img_name: [], mem_limit: [] },
  Fugaku: {},
  JH_UniScheduler: { custom_gpu_line: [] },
  LSF: {
    gpu_usage: [],
    gpu_new_syntax: [],
    gpu_exclusive: [],
    custom_gpu_line: [],
    lsf_job_size: [],
  },
  OpenAPI: {},
  PBS: { pbs_job_size: [] },
  SGE: { pe_name: ["sge_pe_name"], job_name: [], sge_job_size: [] },
  Shell: {},
  Slurm: { custom_gpu_line: [] },
  SlurmJobArray: { custom_gpu_line: [], slurm_job_size: [] },
  Torque: {},
};

/** dpdispatcher's batch types (canonical name and the other spellings it accepts). */
export const DP_BATCH_TYPES: Readonly<Record<string, readonly string[]>> = {
  Bohrium: ["DpCloudServer", "Lebesgue", "bohrium", "dpcloudserver", "lebesgue"],
  DistributedShell: ["distributedshell"],
  Fugaku: ["fugaku"],
  JH_UniScheduler: ["jh_unischeduler"],
  LSF: ["lsf"],
  OpenAPI: ["openapi"],
  PBS: ["pbs"],
  SGE: ["sge"],
  Shell: ["shell"],
  Slurm: ["slurm"],
  SlurmJobArray: ["slurmjobarray"],
  Torque: ["torque"],
};

/** dpdispatcher's context types (canonical name and the other spellings it accepts). */
export const DP_CONTEXT_TYPES: Readonly<Record<string, readonly string[]>> = {
  BohriumContext: [
    "Bohrium",
    "DpCloudServer",
    "DpCloudServerContext",
    "Lebesgue",
    "LebesgueContext",
    "bohrium",
    "bohriumcontext",
    "dpcloudserver",
    "dpcloudservercontext",
    "lebesgue",
    "lebesguecontext",
  ],
  HDFSContext: ["HDFS", "hdfs", "hdfscontext"],
  LazyLocalContext: ["LazyLocal", "lazylocal", "lazylocalcontext"],
  LocalContext: ["Local", "local", "localcontext"],
  OpenAPIContext: ["OpenAPI", "openapi", "openapicontext"],
  SSHContext: ["SSH", "ssh", "sshcontext"],
};

/** The canonical name of a spelling dpdispatcher accepts, or undefined. */
export function canonical(
  table: Readonly<Record<string, readonly string[]>>,
  spelling: string,
): string | undefined {
  return Object.keys(table).find((name) => name === spelling || table[name].includes(spelling));
}

/** The kwargs keys of a batch type (aliases included), or of every batch type. */
export function kwargsKeys(batchType?: string): string[] {
  const tables = batchType && KWARGS[batchType] ? [KWARGS[batchType]] : Object.values(KWARGS);
  return [...new Set(tables.flatMap((t) => Object.entries(t).flatMap(([k, a]) => [k, ...a])))];
}

/** A kwargs alias's canonical key (`sge_pe_name` -> `pe_name`), or the key itself. */
export function kwargsName(key: string): string {
  for (const table of Object.values(KWARGS)) {
    for (const [name, aliases] of Object.entries(table)) if (aliases.includes(key)) return name;
  }
  return key;
}
