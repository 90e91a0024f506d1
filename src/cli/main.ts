/**
 * The `dpdisp` command line. The only part of the package that prints.
 *
 * @module
 */
import process from "node:process";
import { BATCH_TYPES, CONTEXT_TYPES } from "../builtins.ts";
import { didYouMean } from "../suggest.ts";
import { VERSION } from "../version.ts";
import { type Command, fail, type Io, seeHelp } from "./_common.ts";
import { cancel } from "./cancel.ts";
import { permissionsCommand } from "./permissions.ts";
import { render } from "./render.ts";
import { schema } from "./schema.ts";
import { submission } from "./submission.ts";
import { submit } from "./submit.ts";
import { status } from "./status.ts";
import { report } from "./report.ts";

const COMMANDS: Readonly<Record<string, Command>> = {
  submit,
  status,
  report,
  cancel,
  submission,
  render,
  schema,
  permissions: permissionsCommand,
};

const HELP = `dpdisp ${VERSION}: send batches of tasks to HPC clusters and bring the results home

Usage: dpdisp COMMAND [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`).join("\n")}

  dpdisp COMMAND --help   the options and examples of one command
  dpdisp --version        print the version

Exit codes: 0 every job finished, 1 some job failed, 2 bad input.

machine.batch_type (any case): ${Object.values(BATCH_TYPES).map((b) => b.batchType).join(", ")}
machine.context_type: ${CONTEXT_TYPES.join(", ")}
Machines, one per system ("resources.kwargs" in brackets):
  {"batch_type": "Slurm", "context_type": "SSHContext", "remote_root": "/scratch/me",
   "remote_profile": {"hostname": "login.hpc", "username": "me"}}
  {"batch_type": "SGE", "context_type": "LocalContext", "remote_root": "/scratch/me"}  [pe_name]
  {"batch_type": "PBS", "context_type": "LazyLocalContext", "local_root": "./"}
  {"batch_type": "LSF", "context_type": "LocalContext", "remote_root": "/scratch/me"}
                                             [gpu_usage, gpu_new_syntax, custom_gpu_line]
  {"batch_type": "Torque", "context_type": "SSHContext", "remote_root": "/home/me/runs",
   "remote_profile": {"hostname": "torque-login", "username": "me"}}
  {"batch_type": "Fugaku", "context_type": "SSHContext", "remote_root": "/vol0004/data/hp000000/me",
   "remote_profile": {"hostname": "login.fugaku.r-ccs.riken.jp", "username": "u00000"}}
  {"batch_type": "JH_UniScheduler", "context_type": "LocalContext", "remote_root": "/data/me"}
                                             [custom_gpu_line]
  {"batch_type": "Shell", "context_type": "LazyLocalContext", "local_root": "./"}

Examples:
  dpdisp submit submission.json                  # run to the end; rerun to re-attach
  dpdisp submit submission.json --exit-on-submit # submit, leave the jobs running, exit
  dpdisp status work/                            # where every recorded run stands
  dpdisp report work/ --html report.html         # a picture of a run: a bar per job
  dpdisp cancel submission.json                  # cancel its queued and running jobs
  dpdisp submission work/ --download-terminated-log
  dpdisp schema > submission.schema.json`;

/**
 * Runs the CLI with the given arguments; returns the process exit code.
 *
 * @example
 * ```ts ignore
 * import { main } from "@deepmodeling/dpdispatcher/cli";
 *
 * const code = await main(["status", "work/"]);
 * ```
 */
export async function main(
  args: readonly string[],
  out: (line: string) => void = console.log,
): Promise<number> {
  const io: Io = {
    out,
    err: (line) => console.error(line),
    tty: out === console.log && process.stdout.isTTY === true,
  };
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h") {
    out(HELP);
    return 0;
  }
  if (name === "help") {
    const command = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    out(command?.help ?? HELP);
    return 0;
  }
  if (name === "--version" || name === "-V") {
    out(VERSION);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(
      `dpdisp: unknown command "${name}"${seeHelp(didYouMean(name, Object.keys(COMMANDS)), "")}`,
    );
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    return fail(io, name, e);
  }
}

if (import.meta.main) {
  process.exit(await main(process.argv.slice(2)));
}
