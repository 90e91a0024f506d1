import assert from "node:assert/strict";
import { jsonSchema, SCHEMA_KINDS } from "./json_schema.ts";

type Node = Record<string, unknown>;

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);
const NODE_KEYS = new Set(["items", "additionalProperties", "propertyNames", "not"]);
const MAP_KEYS = new Set(["properties", "patternProperties", "$defs"]);
const LIST_KEYS = new Set(["anyOf", "oneOf", "allOf"]);
const KNOWN = new Set([
  ...NODE_KEYS,
  ...MAP_KEYS,
  ...LIST_KEYS,
  "$schema",
  "$ref",
  "title",
  "description",
  "type",
  "required",
  "enum",
  "const",
  "default",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "pattern",
]);

/** Checks the shape of a JSON Schema: known keywords with the right types, refs that resolve. */
function checkSchema(root: Node, node: unknown, at: string): void {
  if (typeof node === "boolean") return;
  assert.ok(node !== null && typeof node === "object" && !Array.isArray(node), `${at}: a schema`);
  const n = node as Node;
  for (const [key, value] of Object.entries(n)) {
    const here = `${at}/${key}`;
    assert.ok(KNOWN.has(key), `${here}: unknown keyword`);
    if (NODE_KEYS.has(key)) checkSchema(root, value, here);
    else if (MAP_KEYS.has(key)) {
      for (const [k, v] of Object.entries(value as Node)) checkSchema(root, v, `${here}/${k}`);
    } else if (LIST_KEYS.has(key)) {
      assert.ok(Array.isArray(value) && value.length > 0, here);
      value.forEach((v, i) => checkSchema(root, v, `${here}/${i}`));
    } else if (key === "type") {
      for (const t of [value].flat()) assert.ok(TYPES.has(t as string), `${here}: ${t}`);
    } else if (key === "required") {
      assert.ok(Array.isArray(value) && value.every((v) => typeof v === "string"), here);
      if (n.properties && !n.anyOf?.toString()) {
        for (const r of value) assert.ok(r in (n.properties as Node), `${here}: ${r} defined`);
      }
    } else if (key === "$ref") {
      const path = (value as string).replace(/^#\//, "").split("/");
      let target: unknown = root;
      for (const part of path) target = (target as Node)?.[part];
      assert.ok(target !== undefined, `${here}: ${value} resolves`);
    } else if (key === "pattern") new RegExp(value as string, "u");
    else if (key === "enum") assert.ok(Array.isArray(value), here);
  }
}

/** Every property name a schema defines or requires, at any depth. */
function propertyNames(node: unknown): string[] {
  if (node === null || typeof node !== "object") return [];
  if (Array.isArray(node)) return node.flatMap(propertyNames);
  const n = node as Node;
  return [
    ...Object.keys((n.properties as Node | undefined) ?? {}),
    ...((n.required as string[] | undefined) ?? []),
    ...Object.values(n).flatMap(propertyNames),
  ];
}

Deno.test("every generated JSON Schema is well formed, with dpdispatcher's snake_case keys", () => {
  for (const kind of SCHEMA_KINDS) {
    const schema = jsonSchema(kind);
    assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
    checkSchema(schema, schema, `#${kind}`);
    for (const key of propertyNames(schema)) assert.match(key, /^[a-z_]+$/, `${kind}: ${key}`);
  }
  const submission = jsonSchema("submission") as {
    required: string[];
    properties: Record<string, Node & { properties?: Record<string, Node> }>;
  };
  assert.deepEqual(submission.required.sort(), ["machine", "resources", "task_list", "work_base"]);
  const groupSize = submission.properties.resources.properties!.group_size;
  assert.equal(groupSize.type, "integer");
  assert.equal(groupSize.minimum, 0);
  assert.match(String(groupSize.description), /Tasks per job/);
  const strategy = submission.properties.resources.properties!.strategy as Node;
  assert.deepEqual(strategy.default, { if_cuda_multi_devices: false, ratio_unfinished: 0 });
  const task = jsonSchema("task") as { required: string[]; additionalProperties: unknown };
  assert.deepEqual(task.required, ["command", "task_work_path"]);
  assert.equal(task.additionalProperties, false);
  const machine = jsonSchema("machine") as { anyOf: unknown[] };
  assert.deepEqual(machine.anyOf, [{ required: ["batch_type"] }, { required: ["machine_type"] }]);
  assert.throws(() => jsonSchema("cluster" as never), /Invalid schema kind: .*got "cluster"/);
});
