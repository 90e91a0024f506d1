/**
 * dpdispatcher's class-style API for line-by-line ports, and its JSON loaders.
 *
 * @example
 * ```ts
 * import { JobStatus, Machine, Resources, Submission, Task } from "@deepmodeling/dpdispatcher/compat";
 *
 * console.log(JobStatus.finished); // 5
 * ```
 *
 * @module
 */
export {
  JobStatus,
  Machine,
  Resources,
  type RunSubmissionOptions,
  Submission,
  type SubmissionKeywords,
  Task,
  type TaskKeywords,
} from "./classes.ts";
export { dpdispatcherLogLine, type LogSink } from "./log.ts";
export { jsonSchema, SCHEMA_KINDS, type SchemaKind } from "./json_schema.ts";
export {
  type LoadedMachine,
  type LoadedSubmission,
  loadMachine,
  type LoadOptions,
  loadResources,
  loadSubmission,
  loadTask,
} from "./load.ts";
