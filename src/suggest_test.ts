import assert from "node:assert/strict";
import { didYouMean, suggest } from "./suggest.ts";

Deno.test("suggest finds typos of commands, options and values, and nothing for unrelated words", () => {
  assert.equal(suggest("sumbit", ["submit", "status", "cancel"]), "submit");
  assert.equal(suggest("dryrun", ["dry-run", "exit-on-submit", "json"]), "dry-run");
  assert.equal(suggest("Slrum", ["Shell", "Slurm", "SGE"]), "Slurm");
  assert.equal(suggest("lazy_local", ["LazyLocal", "Local", "SSH"]), "LazyLocal");
  assert.equal(suggest("frobnicate", ["submit", "status"]), undefined);
  assert.equal(didYouMean("stauts", ["status"]), `; did you mean "status"?`);
  assert.equal(didYouMean("xyzzy", ["status"]), "");
});
