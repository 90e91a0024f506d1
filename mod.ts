/**
 * dpdispatcher for TypeScript: describe tasks, group them into jobs, run them on the local
 * machine or a cluster, and get every result back, exactly once, even across crashes.
 *
 * @example
 * ```ts
 * import { dispatch, resources, task } from "@deepmodeling/dpdispatcher";
 *
 * const report = await dispatch({ workBase: "work" })
 *   .with(resources({ groupSize: 2 }))
 *   .tasks(task({ command: "echo hi > out.txt", taskWorkPath: "t0", backwardFiles: ["out.txt"] }))
 *   .run();
 * console.log(report.ok);
 * ```
 *
 * @module
 */

export {
  Dispatch,
  dispatch,
  type DispatchOptions,
  type RenderedJob,
  type RunPromise,
} from "./src/api/dispatch.ts";
export { type Task, task, type TaskInput } from "./src/plan/task.ts";
export {
  type JsonValue,
  type Resources,
  resources,
  type ResourcesInput,
} from "./src/plan/resources.ts";
export type { Plan, PlanJob, PlanTarget } from "./src/plan/plan.ts";
export { JUPYTER_DISPLAY, type MimeBundle } from "./src/display/jupyter.ts";
export { reportTimeline } from "./src/display/timeline_journal.ts";
export {
  timelineHtml,
  type TimelineHtmlOptions,
  timelineSummary,
} from "./src/display/timeline_html.ts";
export type {
  AttemptOutcome,
  PendingReason,
  SegmentKind,
  Timeline,
  TimelineAttempt,
  TimelineJob,
  TimelineSegment,
} from "./src/display/timeline.ts";
export type { PermissionNeeds, Permissions } from "./src/plan/permissions.ts";
export { permissions } from "./src/runner/permissions.ts";
export { groupTasks } from "./src/plan/grouping.ts";
export { shell, shellScheduler } from "./src/executor/batch/shell/shell.ts";
export {
  slurm,
  slurmJobArray,
  type SlurmJobArrayOptions,
  slurmJobName,
  slurmScheduler,
} from "./src/executor/batch/slurm/slurm.ts";
export {
  sge,
  sgeJobArray,
  type SgeJobArrayOptions,
  sgeJobName,
  sgeScheduler,
} from "./src/executor/batch/sge/sge.ts";
export { pbs, pbsJobArray, pbsJobName, pbsScheduler } from "./src/executor/batch/pbs/pbs.ts";
export {
  lsf,
  lsfJobArray,
  type LsfJobArrayOptions,
  lsfJobName,
  lsfScheduler,
} from "./src/executor/batch/lsf/lsf.ts";
export { torque, torqueJobName, torqueScheduler } from "./src/executor/batch/torque/torque.ts";
export {
  fugaku,
  fugakuJobName,
  type FugakuOptions,
  fugakuScheduler,
} from "./src/executor/batch/fugaku/fugaku.ts";
export {
  jhJobName,
  jhUniScheduler,
  type JhUniSchedulerOptions,
  jhUniSchedulerScheduler,
} from "./src/executor/batch/jh_unischeduler/jh_unischeduler.ts";
export type { FailureClass } from "./src/executor/failure.ts";
export type {
  BatchTarget,
  Scheduler,
  SchedulerEnv,
  SchedulerStatus,
  ScriptJob,
  SubmitOutcome,
  SubmitRequest,
} from "./src/executor/batch/scheduler.ts";
export type {
  Attempt,
  AttemptEnd,
  AttemptStatus,
  Collected,
  CollectRequest,
  Executor,
  ExecutorSession,
  LiveAttempt,
  OpenOptions,
  PollAnswer,
  Staged,
  Submitted,
  Target,
} from "./src/executor/executor.ts";
export { batchExecutor } from "./src/executor/batch/batch_executor.ts";
export {
  bohrium,
  type BohriumCommonOptions,
  bohriumOpenApi,
  type BohriumOpenApiOptions,
  type BohriumOptions,
  HttpError,
} from "./src/executor/bohrium/mod.ts";
export { capture, type MarkedOutput, parseMarkers } from "./src/shell/marker_output.ts";
export { type JobEnd, parseEndFile } from "./src/shell/end_file.ts";
export { lazyLocal, local, type LocalOptions } from "./src/transports/local.ts";
export { ssh, type SshOptions } from "./src/transports/ssh/ssh.ts";
export { totp } from "./src/transports/ssh/totp.ts";
export type {
  Connection,
  ConnectOptions,
  ExecResult,
  StreamHandle,
  TransferResult,
  Transport,
} from "./src/transports/transport.ts";
export type { RunOptions } from "./src/runner/runner.ts";
export type { Clock } from "./src/runner/session.ts";
export type { RunEvent } from "./src/runner/events.ts";
export type { JobReport, JobReportState, RunReport, TaskReport } from "./src/runner/report.ts";
export {
  CommandError,
  type CommandResult,
  ConnectionError,
  ParseError,
  PermissionError,
  StateError,
} from "./src/errors.ts";
export { RunError } from "./src/runner/run_error.ts";
export { readRuns } from "./src/runner/runs.ts";
export {
  type LoadedMachine,
  type LoadedSubmission,
  loadMachine,
  type LoadOptions,
  loadResources,
  loadSubmission,
  loadTask,
} from "./src/compat/load.ts";
