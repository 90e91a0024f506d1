import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { VERSION } from "./version.ts";

Deno.test("VERSION is deno.json's version", () => {
  const denoJson = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8"));
  assert.equal(VERSION, denoJson.version);
});
