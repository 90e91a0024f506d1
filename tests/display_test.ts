// What the Deno Jupyter kernel shows: it calls obj[Symbol.for("Jupyter.display")]() and renders
// the mimebundle. Builders, plans, live runs and reports answer it, and stay JSON-safe and frozen.
import assert from "node:assert/strict";
import { dispatch, RunError, task } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

const DISPLAY = Symbol.for("Jupyter.display");
type Displayable = { [DISPLAY]: () => { "text/html": string; "text/plain": string } };
const show = (value: unknown) => (value as Displayable)[DISPLAY]();

Deno.test("builders, plans, live runs and reports display as HTML tables with escaped values", async () => {
  const workBase = await tempDir();
  const builder = dispatch({ workBase }).with({ groupSize: 1 }).tasks(
    task({
      command: "sleep 0.3; echo ok > out.txt",
      taskWorkPath: "good",
      backwardFiles: ["out.txt"],
    }),
    task({ command: `echo '<script>alert(1)</script>' >&2; exit 3`, taskWorkPath: "bad" }),
  );
  const plan = builder.toPlan();
  assert.ok(Object.isFrozen(plan));
  assert.equal(JSON.stringify(plan), JSON.stringify({ ...plan }), "the display method is not data");
  assert.ok(!Object.keys(plan).some((k) => k.includes("display")));
  assert.deepEqual(show(builder), show(plan));
  assert.match(show(plan)["text/plain"], /^Plan \w{16}: 2 tasks in 2 jobs on shell over lazyLocal/);
  assert.ok(show(plan)["text/html"].includes("&lt;script&gt;alert(1)&lt;/script&gt;"));

  const run = builder.run({ retryCount: 0 });
  const early = show(run)["text/plain"];
  assert.match(early, /^Run \w{16} starting: 2 queued, 0 running, 0 done, 0 failed of 2 jobs$/m);
  let during = "";
  for await (const event of run) {
    if (event.type === "job:final" && event.state === "failed") during = show(run)["text/plain"];
  }
  assert.match(during, /^Run \w{16} running: \d queued, \d running, \d done, 1 failed of 2 jobs/);
  const error = await run.catch((e) => e);
  assert.ok(error instanceof RunError);
  const report = error.report;
  assert.deepEqual(show(run), show(report), "an ended run shows its report");
  assert.equal(JSON.stringify(report), JSON.stringify({ ...report }));
  const html = show(report)["text/html"];
  assert.match(
    html,
    /<strong>Run \w{16}: 1 of 2 jobs finished, 1 failed \(2 tasks\) in [\d.]+ (ms|s)<\/strong>/,
  );
  assert.match(html, /<td>dpd-\w{12}<\/td><td><span[^>]*>failed<\/span><\/td><td>1<\/td>/);
  assert.match(
    html,
    /<td>dpd-\w{12}<\/td><td><span[^>]*>finished<\/span><\/td><td>1<\/td><td>(&lt; 1 s|[\d.]+ s)<\/td>/,
  );
  assert.ok(
    html.includes("task &quot;bad&quot; exited with code 3: &lt;script&gt;alert(1)&lt;/script&gt;"),
  );
  assert.ok(!html.includes("<script>"));
});

Deno.test("an empty builder displays as such instead of throwing", () => {
  assert.match(show(dispatch({ workBase: "w" }))["text/plain"], /^An empty plan \(no tasks yet\)/);
});
