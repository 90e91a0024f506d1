import { resolve } from "node:path";
import { mergeNeeds, type PermissionNeeds } from "../plan/permissions.ts";
import {
  copyEntries,
  execLocal,
  findMissing,
  readLocal,
  removeLocal,
  writeLocal,
} from "./local_fs.ts";
import type { Connection, Transport } from "./transport.ts";

function localConnection(link: boolean): Connection {
  const connection: Connection = {
    exec: (argv, options) => execLocal(argv, options?.stdin),
    upload: (localBase, remoteBase, entries) =>
      localBase === remoteBase
        ? findMissing(localBase, entries)
        : copyEntries(localBase, remoteBase, entries, link),
    download: (remoteBase, localBase, patterns) =>
      localBase === remoteBase
        ? findMissing(localBase, patterns)
        : copyEntries(remoteBase, localBase, patterns),
    readFiles: readLocal,
    writeFiles: writeLocal,
    remove: removeLocal,
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return connection;
}

/**
 * Runs tasks in place, in the work base itself, like dpdispatcher's LazyLocalContext. The
 * default transport of `dispatch()`.
 *
 * @example
 * ```ts
 * import { dispatch, lazyLocal, shell } from "@deepmodeling/dpdispatcher";
 *
 * const builder = dispatch({ workBase: "project" }).on(shell(lazyLocal()));
 * ```
 */
export function lazyLocal(): Transport {
  return Object.freeze({
    name: "lazyLocal",
    host: "localhost",
    options: Object.freeze({}),
    inPlace: true,
    runRoot: (workBase: string) => resolve(workBase),
    connect: () => Promise.resolve(localConnection(false)),
    // Commands run here; a child process inherits the whole environment.
    permissions: (commands: PermissionNeeds) => mergeNeeds(commands, { env: true }),
  });
}

/** Options of {@linkcode local}. */
export interface LocalOptions {
  /** Directory under which each run gets its own `<runId>/` copy of the inputs. */
  readonly remoteRoot: string;
  /** Symlink input files instead of copying them (dpdispatcher's `symlink`). @default false */
  readonly symlink?: boolean;
}

/**
 * Copies inputs to `<remoteRoot>/<runId>/`, runs there, and copies results back, like
 * dpdispatcher's LocalContext.
 *
 * @example
 * ```ts
 * import { dispatch, local, shell } from "@deepmodeling/dpdispatcher";
 *
 * const builder = dispatch({ workBase: "project" }).on(shell(local({ remoteRoot: "/scratch/runs" })));
 * ```
 */
export function local(options: LocalOptions): Transport {
  if (typeof options?.remoteRoot !== "string" || options.remoteRoot.trim() === "") {
    throw new TypeError(
      `Invalid local.remoteRoot: expected a directory path, got ${
        JSON.stringify(options?.remoteRoot)
      }`,
    );
  }
  const remoteRoot = resolve(options.remoteRoot);
  const link = options.symlink ?? false;
  return Object.freeze({
    name: "local",
    host: "localhost",
    options: Object.freeze({ remoteRoot, symlink: link }),
    inPlace: false,
    runRoot: (_workBase: string, runId: string) => `${remoteRoot}/${runId}`,
    connect: () => Promise.resolve(localConnection(link)),
    // Deno creates symlinks only with unscoped read and write.
    permissions: (commands: PermissionNeeds) =>
      mergeNeeds(commands, {
        env: true,
        read: link ? true : [remoteRoot],
        write: link ? true : [remoteRoot],
      }),
  });
}
