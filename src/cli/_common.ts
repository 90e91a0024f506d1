import { parseArgs, type ParseArgsConfig } from "node:util";
import { toSubmissionKeys } from "../compat/load.ts";
import { StateError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";

/** Where a command writes: stdout lines, stderr lines, and whether stdout is a terminal. */
export interface Io {
  /** One line (or block) on stdout. */
  readonly out: (line: string) => void;
  /** One line on stderr. */
  readonly err: (line: string) => void;
  /** True when stdout is a terminal (live progress instead of event lines). */
  readonly tty: boolean;
}

/** One `dpdisp` command. */
export interface Command {
  /** One line for `dpdisp --help`. */
  readonly summary: string;
  /** The text of `dpdisp COMMAND --help`. */
  readonly help: string;
  /** Runs it; returns the exit code. */
  run(args: readonly string[], io: Io): number | Promise<number>;
}

/** Bad command line or bad input: exit code 2. */
export class UsageError extends TypeError {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The options every command takes. */
export const COMMON_OPTIONS = { help: { type: "boolean", short: "h" } } as const satisfies Options;

/** Parses a command's arguments (node:util parseArgs, strict); a bad one is a `UsageError`. */
export function parse<O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    // "Unknown option '--x'. To specify a positional argument ...": the first sentence.
    const message = (e as Error).message.split(/\.(?:\s|$)/)[0];
    const unknown = /^Unknown option '-{1,2}([^']+)'/.exec(message)?.[1];
    const names = Object.keys({ ...COMMON_OPTIONS, ...options });
    const hint = unknown === undefined
      ? ""
      : didYouMean(unknown, names).replace(/"(.+)"/, '"--$1"');
    throw new UsageError(`${message}${seeHelp(hint, command)}`);
  }
}

/** `; see dpdisp CMD --help`, or after a did-you-mean hint `; did you mean "x"? See ...`. */
export function seeHelp(hint: string, command: string): string {
  const help = command === "" ? "dpdisp --help" : `dpdisp ${command} --help`;
  return hint === "" ? `; see ${help}` : `${hint} See ${help}`;
}

/** The one positional argument a command needs; a `UsageError` when missing or extra. */
export function onePositional(command: string, positionals: string[], what: string): string {
  if (positionals.length === 0) {
    throw new UsageError(`Missing ${what}; see dpdisp ${command} --help`);
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `Unexpected argument "${positionals[1]}" after ${what}; see dpdisp ${command} --help`,
    );
  }
  return positionals[0];
}

/**
 * Prints an error as one line on stderr and returns the exit code: 2 for bad input
 * (`TypeError`, `RangeError`), 1 for everything else (a failed command, a locked run).
 */
export function fail(io: Io, command: string, error: unknown): number {
  const e = error instanceof Error ? error : new Error(String(error));
  const bad = e instanceof TypeError || e instanceof RangeError;
  // The CLI's users wrote JSON: name fields and options as they spelled them.
  let message = toSubmissionKeys(e.message);
  message = message.split("\n")[0];
  if (e instanceof StateError && /already being run/.test(message)) {
    message += "; stop that runner first (Ctrl-C detaches it and leaves the jobs running)";
  }
  io.err(`dpdisp ${command}: ${message}`);
  return bad ? 2 : 1;
}

/** `1.5 s`, `2 min 5 s`, `1 h 2 min`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
