import { resolve } from "node:path";
import { mergeNeeds, PERMISSION_KINDS, permissionFlag } from "../plan/permissions.ts";
import { permissions } from "../runner/permissions.ts";
import { quote } from "../shell/quote.ts";
import { type Command, type Io, onePositional, parse } from "./_common.ts";
import { loadSubmissionFile } from "./_run_ref.ts";

const HELP = `dpdisp permissions: print the Deno permissions a submission needs, touching nothing

Usage: dpdisp permissions FILE [options]

Loads FILE (JSON or YAML) like \`dpdisp submit\` and prints, on one line, the \`deno run\` flags
that \`dpdisp submit FILE\` needs: read and write of the work base (its .dpdispatcher journal
included) and of a Local context's remote root, the programs the scheduler starts on this
machine (Shell: bash, ps; Slurm: bash, scancel) with --allow-env, or for an SSH context
--allow-net to the first hop and read access to known_hosts, keys and ssh config; FILE itself
is readable too. Run with fewer and \`dpdisp submit\` stops before touching anything, naming the
missing flags.

Options:
  --json      print them as JSON: by kind (read, write, run, net, env, sys) and as flags
  --strict    unknown keys are errors instead of warnings
  -h, --help  print this help

Examples:
  dpdisp permissions submission.json
  deno run $(dpdisp permissions submission.json) src/cli/bin.ts submit submission.json`;

function run(args: readonly string[], io: Io): number {
  const { values, positionals } = parse("permissions", args, {
    json: { type: "boolean" },
    strict: { type: "boolean" },
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const file = onePositional("permissions", positionals, "FILE (a submission in JSON or YAML)");
  const { builder } = loadSubmissionFile(file, values.strict ?? false, io);
  const needs = permissions(builder.toPlan(), builder.target);
  // dpdisp reads the submission file before the run starts.
  const all = mergeNeeds({ read: [resolve(file)] }, needs);
  const flags = PERMISSION_KINDS.map((kind) => permissionFlag(kind, all[kind]))
    .filter((flag): flag is string => flag !== undefined);
  if (values.json) io.out(JSON.stringify({ ...needs, ...all, flags }, null, 2));
  else io.out(flags.map(quote).join(" "));
  return 0;
}

/** `dpdisp permissions FILE`: print the Deno flags its run needs. */
export const permissionsCommand: Command = {
  summary: "print the Deno permissions a submission needs, touching nothing",
  help: HELP,
  run,
};
