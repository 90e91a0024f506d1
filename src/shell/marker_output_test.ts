import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { capture, parseMarkers } from "./marker_output.ts";

Deno.test("capture and parseMarkers round-trip through a real bash: lines, codes, a cut-off", () => {
  const script = [
    capture("ok", "printf '41\\n\\n  42  \\n'"),
    capture("fails", "echo 'error: busy' >&2; exit 3"),
    "printf -- '--- cut\\npartial\\n'",
  ].join("\n");
  const out = parseMarkers(execFileSync("bash", ["-c", script], { encoding: "utf8" }));
  assert.deepEqual(out.get("ok"), { lines: ["41", "42"], code: 0 });
  assert.deepEqual(out.get("fails"), { lines: ["error: busy"], code: 3 });
  assert.deepEqual(out.get("cut"), { lines: ["partial"] });
  assert.equal(out.get("missing"), undefined);
  assert.throws(() => capture("two words", "true"), /Invalid marker key/);
});
