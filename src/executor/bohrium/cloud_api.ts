/**
 * What the Bohrium session needs of an API, so the legacy API and OpenAPI share one session:
 * submit (uploading what the job needs), detail, log tail, kill, find by name, download.
 *
 * @module
 */

/** One cloud job as its detail call says. */
export interface CloudJob {
  /** The job id. */
  readonly id: string;
  /** The status code (see `status.ts`). */
  readonly status: number;
  /** The exit code, when the API says one. */
  readonly exitCode?: number;
  /** Where its result archive is, `""` when none. */
  readonly resultUrl: string;
}

/** One attempt to submit. */
export interface SubmitSpec {
  /** The attempt's stable name (`dpd-0123456789ab-0`): what lookup finds it by. */
  readonly name: string;
  /** The job's hash (the archive is `<hash>.zip`). */
  readonly hash: string;
  /** The local archive of its inputs and script. */
  readonly zip: string;
  /** The command the cloud runs in the unpacked directory. */
  readonly cmd: string;
  /** Files (globs) the result archive must hold. */
  readonly outFiles: readonly string[];
  /** Log files the platform shows (dpdispatcher: the first task's outlog). */
  readonly logFiles: readonly string[];
}

/** A job group remembered across restarts (the session keeps it beside the run's files). */
export interface GroupStore {
  /** The group's id, once known. */
  get(): number | undefined;
  /** Remembers it (durably) before more jobs join it. */
  set(id: number): Promise<void>;
}

/**
 * A Bohrium API as the session drives it.
 *
 * @example
 * ```ts
 * import type { CloudApi } from "./cloud_api.ts";
 *
 * const kinds: CloudApi["kind"][] = ["legacy", "openapi"];
 * ```
 */
export interface CloudApi {
  /** Which API. */
  readonly kind: "legacy" | "openapi";
  /** The API host, for messages. */
  readonly host: string;
  /** Uploads what the attempt needs, creates the job; its id. Throws when refused. */
  submit(spec: SubmitSpec): Promise<string>;
  /** The body `submit` would send, as one line, for a dry run (no secrets). */
  preview(spec: SubmitSpec): string;
  /** The job's detail; undefined when the API no longer knows the job (deleted). */
  detail(id: string): Promise<CloudJob | undefined>;
  /** The tail of the job's log ("" when it has none). */
  logTail(id: string): Promise<string>;
  /** Kills the job (one that ended already is no failure). */
  kill(id: string): Promise<void>;
  /** The ids of jobs with these names, in the run's group (or all the user's jobs). */
  find(names: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** Streams a result archive into a file (written whole or not at all). */
  download(url: string, file: string): Promise<void>;
}
