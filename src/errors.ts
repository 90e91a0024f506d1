/**
 * The few error classes of dpdispatcher. Bad input throws a plain `TypeError` or
 * `RangeError` whose message names the field and the value; everything else is one of these.
 *
 * @module
 */

/** Keeps the last `max` characters of a text, so errors stay readable. */
export function tail(text: string, max = 2000): string {
  return text.length <= max ? text : "…" + text.slice(text.length - max);
}

/** What a finished command left behind, as carried by {@linkcode CommandError}. */
export interface CommandResult {
  /** The program and its arguments. */
  readonly argv: readonly string[];
  /** Where it ran: `"localhost"` or an SSH host. */
  readonly host: string;
  /** Its exit code (`null` when a signal ended it). */
  readonly exitCode: number | null;
  /** The tail of its standard output. */
  readonly stdout: string;
  /** The tail of its standard error. */
  readonly stderr: string;
  /** How long it ran, in milliseconds. */
  readonly durationMs: number;
}

/**
 * A command that the runner needed (submit, status, cancel, transfer) failed.
 *
 * @example Inspect the failing command
 * ```ts
 * import { CommandError } from "@deepmodeling/dpdispatcher";
 *
 * const error = new CommandError("Cannot submit 2 jobs to shell", {
 *   argv: ["bash", "-c", "exit 1"],
 *   host: "localhost",
 *   exitCode: 1,
 *   stdout: "",
 *   stderr: "boom",
 *   durationMs: 3,
 * });
 * console.log(error.exitCode, error.stderr); // 1 "boom"
 * ```
 */
export class CommandError extends Error implements CommandResult {
  readonly argv: readonly string[];
  readonly host: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;

  /** Builds the error for a command that just ran (`started`: its start time in ms). */
  static of(
    what: string,
    argv: readonly string[],
    host: string,
    result: { exitCode: number | null; stdout: string; stderr: string },
    started: number,
  ): CommandError {
    return new CommandError(what, { argv, host, ...result, durationMs: Date.now() - started });
  }

  /** Wraps a command's result; the message gains the exit code and the stderr tail. */
  constructor(what: string, result: CommandResult, options?: ErrorOptions) {
    const how = result.exitCode === null ? "was killed" : `exited with code ${result.exitCode}`;
    const detail = result.stderr.trim() ? `: ${tail(result.stderr.trim(), 300)}` : "";
    super(`${what}: ${result.argv[0]} on "${result.host}" ${how}${detail}`, options);
    this.name = "CommandError";
    this.argv = result.argv;
    this.host = result.host;
    this.exitCode = result.exitCode;
    this.stdout = tail(result.stdout);
    this.stderr = tail(result.stderr);
    this.durationMs = result.durationMs;
  }
}

/**
 * The run's local state cannot be used: its journal is held by another live runner, or a
 * journal line is not one this version wrote.
 *
 * @example
 * ```ts
 * import { StateError } from "@deepmodeling/dpdispatcher";
 *
 * const error = new StateError('Run "abc" is already being run by process 42', "/w/.dpdispatcher/abc.lock");
 * console.log(error.path);
 * ```
 */
export class StateError extends Error {
  /** The state file concerned. */
  readonly path: string;

  /** Builds the error for one state file. */
  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StateError";
    this.path = path;
  }
}

/**
 * The link to a remote host failed: it could not log in (refused, unknown or changed host key,
 * authentication failed), or it dropped and did not come back within the reconnect budget.
 * A rerun resumes the run where it stopped.
 *
 * @example
 * ```ts
 * import { ConnectionError } from "@deepmodeling/dpdispatcher";
 *
 * const error = new ConnectionError("Cannot connect to hpc:22: connection refused", "hpc", 22, true);
 * console.log(error.host, error.port, error.retryable); // "hpc" 22 true
 * ```
 */
export class ConnectionError extends Error {
  /** The host that could not be reached. */
  readonly host: string;
  /** Its port. */
  readonly port: number;
  /** True for faults the runner may retry; false for refusals (host key, authentication) and for a link still down after the reconnect budget: the run stops, and a rerun resumes it. */
  readonly retryable: boolean;

  /** Builds the error for one host. */
  constructor(
    message: string,
    host: string,
    port: number,
    retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ConnectionError";
    this.host = host;
    this.port = port;
    this.retryable = retryable;
  }
}

/**
 * Deno was not given a permission the run needs. Thrown by `run()` before it touches anything,
 * with every missing flag and a `deno run` command line that has them all.
 *
 * @example
 * ```ts
 * import { PermissionError } from "@deepmodeling/dpdispatcher";
 *
 * const error = new PermissionError(
 *   "abc",
 *   ["--allow-run=bash,ps"],
 *   "deno run --allow-read=work --allow-write=work --allow-run=bash,ps --allow-env --allow-sys=hostname main.ts",
 * );
 * console.log(error.missing); // ["--allow-run=bash,ps"]
 * ```
 */
export class PermissionError extends Error {
  /** The run that was not started. */
  readonly runId: string;
  /** The missing permissions, as flags (`--allow-run=ps`). */
  readonly missing: readonly string[];
  /** `deno run` with every flag the run needs, then the script and its arguments. */
  readonly command: string;

  /** Builds the error for the permissions a run lacks. */
  constructor(runId: string, missing: readonly string[], command: string, options?: ErrorOptions) {
    super(
      `Cannot start run "${runId}" without the Deno permissions ${
        missing.join(" ")
      }; run it with: ${command}`,
      options,
    );
    this.name = "PermissionError";
    this.runId = runId;
    this.missing = missing;
    this.command = command;
  }
}

/**
 * A command's output could not be read: the scheduler printed something its parser does not
 * know. It carries the output, so the message can be checked against the real tool's.
 *
 * @example
 * ```ts
 * import { ParseError } from "@deepmodeling/dpdispatcher";
 *
 * const error = new ParseError("Cannot read slurm's job status", { exitCode: 0, stdout: "??", stderr: "" });
 * console.log(error.stdout); // "??"
 * ```
 */
export class ParseError extends SyntaxError {
  /** The command's exit code. */
  readonly exitCode: number | null;
  /** The tail of what it printed on stdout. */
  readonly stdout: string;
  /** The tail of what it printed on stderr. */
  readonly stderr: string;

  /** Builds the error for one command's output; the parser's own error goes in `cause`. */
  constructor(
    what: string,
    output: { exitCode: number | null; stdout: string; stderr: string },
    options?: ErrorOptions,
  ) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(`${what}${why}`, options);
    this.name = "ParseError";
    this.exitCode = output.exitCode;
    this.stdout = tail(output.stdout);
    this.stderr = tail(output.stderr);
  }
}
