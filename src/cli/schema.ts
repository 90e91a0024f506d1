import { jsonSchema, SCHEMA_KINDS, type SchemaKind } from "../compat/json_schema.ts";
import { type Command, type Io, parse, UsageError } from "./_common.ts";

const HELP = `dpdisp schema: print the JSON Schema of a dpdispatcher input, for editors

Usage: dpdisp schema [KIND]

KIND is one of ${SCHEMA_KINDS.join(", ")} (default submission). The schema is generated
from the same zod schemas the loaders check with, in dpdispatcher's snake_case keys, with a
description for every key.

Options:
  -h, --help  print this help

Examples:
  dpdisp schema > submission.schema.json
  dpdisp schema machine > machine.schema.json
  # VS Code: "json.schemas": [{ "fileMatch": ["*submission*.json"], "url": "./submission.schema.json" }]
  # YAML files: put "# yaml-language-server: $schema=./submission.schema.json" on the first line`;

function run(args: readonly string[], io: Io): number {
  const { values, positionals } = parse("schema", args, {});
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(`Unexpected argument "${positionals[1]}"; see dpdisp schema --help`);
  }
  const kind = positionals[0] ?? "submission";
  if (!SCHEMA_KINDS.includes(kind as SchemaKind)) {
    throw new UsageError(
      `Invalid KIND: expected ${SCHEMA_KINDS.join(", ")}, got "${kind}"; see dpdisp schema --help`,
    );
  }
  io.out(JSON.stringify(jsonSchema(kind as SchemaKind), null, 2));
  return 0;
}

/** `dpdisp schema [KIND]`: print a JSON Schema. */
export const schema: Command = {
  summary: "print the JSON Schema of a submission, machine, resources or task",
  help: HELP,
  run,
};
