import { type Command, type Io, onePositional, parse } from "./_common.ts";
import { loadSubmissionFile } from "./_run_ref.ts";

const HELP = `dpdisp render: print the job scripts of a submission, touching nothing

Usage: dpdisp render FILE [options]

Loads FILE (JSON or YAML) like \`dpdisp submit\`, groups the tasks into jobs and prints each
job's script after a "# PATH" line. No connection, no file written.

Options:
  --strict    unknown keys are errors instead of warnings
  -h, --help  print this help

Examples:
  dpdisp render submission.json
  dpdisp render submission.yaml | grep '#SBATCH'`;

function run(args: readonly string[], io: Io): number {
  const { values, positionals } = parse("render", args, { strict: { type: "boolean" } });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const file = onePositional("render", positionals, "FILE (a submission in JSON or YAML)");
  const { builder } = loadSubmissionFile(file, values.strict ?? false, io);
  for (const job of builder.render()) io.out(`# ${job.path}\n${job.script}`);
  return 0;
}

/** `dpdisp render FILE`: print the job scripts. */
export const render: Command = {
  summary: "print the job scripts of a submission, touching nothing",
  help: HELP,
  run,
};
