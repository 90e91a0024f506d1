import type { FailureClass } from "../../failure.ts";

/** Slurm job states of jobs that left the queue, as failure classes (undefined: ended normally). */
export const SLURM_ENDED: Readonly<Record<string, FailureClass | undefined>> = {
  COMPLETED: undefined,
  FAILED: "exit",
  TIMEOUT: "timeout",
  DEADLINE: "timeout",
  OUT_OF_MEMORY: "oom",
  CANCELLED: "cancelled",
  NODE_FAIL: "node_fail",
  BOOT_FAIL: "node_fail",
  PREEMPTED: "preempted",
  REVOKED: "cancelled",
  SPECIAL_EXIT: "exit",
};

/** Slurm states of jobs still queued or running. */
export const SLURM_LIVE: Readonly<Record<string, "pending" | "running">> = {
  PENDING: "pending",
  REQUEUED: "pending",
  REQUEUE_HOLD: "pending",
  REQUEUE_FED: "pending",
  RESV_DEL_HOLD: "pending",
  CONFIGURING: "running",
  RUNNING: "running",
  COMPLETING: "running",
  SUSPENDED: "running",
  STOPPED: "running",
  SIGNALING: "running",
  STAGE_OUT: "running",
  RESIZING: "running",
};

/** Pending reasons in words (squeue's %r). */
export const PENDING_WORDS: Readonly<Record<string, string>> = {
  Resources: "waiting for resources",
  Priority: "waiting behind higher-priority jobs",
  Dependency: "waiting for a dependency",
  DependencyNeverSatisfied: "its dependency can never be satisfied",
  JobHeldUser: "held by the user",
  JobHeldAdmin: "held by an administrator",
  BeginTime: "waiting for its begin time",
  ReqNodeNotAvail: "a requested node is not available",
  PartitionTimeLimit: "its time limit exceeds the partition's",
  PartitionNodeLimit: "its node count exceeds the partition's limit",
  PartitionDown: "its partition is down",
  PartitionInactive: "its partition is inactive",
  QOSMaxJobsPerUserLimit: "the QOS limit on running jobs per user is reached",
  QOSMaxSubmitJobPerUserLimit: "the QOS limit on submitted jobs per user is reached",
  QOSMaxCpuPerUserLimit: "the QOS limit on CPUs per user is reached",
  QOSGrpCpuLimit: "the QOS group CPU limit is reached",
  AssocMaxJobsLimit: "the account's limit on running jobs is reached",
  AssocGrpCpuLimit: "the account's CPU limit is reached",
  Reservation: "waiting for its reservation",
  NodeDown: "a required node is down",
  BadConstraints: "its constraints cannot be satisfied",
  InvalidAccount: "its account is invalid",
  InvalidQOS: "its QOS is invalid",
  launch_failed_requeued_held: "its launch failed; requeued and held",
};

/** sbatch errors that mean "the queue is full for you": keep the job and submit when room frees. */
export const QUEUE_LIMIT = [
  /MaxSubmitJob/i,
  /job submit limit/i,
  /AssocMaxSubmitJobLimit/i,
  /QOSMaxSubmitJobPerUserLimit/i,
  /Job violates accounting\/QOS policy/i,
];

/** sbatch errors that no retry can fix: the job as written is refused. */
export const FATAL = [
  /Invalid partition/i,
  /Invalid account/i,
  /Invalid qos/i,
  /Invalid generic resource/i,
  /Requested node configuration is not available/i,
  /Memory specification can not be satisfied/i,
  /Requested time limit is invalid/i,
  /Node count specification invalid/i,
  /unrecognized option/i,
  /invalid option/i,
];
