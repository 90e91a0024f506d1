// OpenPBS and LSF end to end on their shims (scripts/shims/): each job runs on the real Slurm,
// and the shims answer qsub/qstat/qdel/qselect and bsub/bjobs/bkill exactly as OpenPBS 23 and
// LSF 10.1 print (their own tests pin that against verbatim samples).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { local, lsf, pbs } from "../mod.ts";
import { crashRerun, failureClasses, manyTasks } from "./_batch_cases.ts";
import { withPathFirst } from "./_path_transport.ts";
import { shimPath, withShims } from "./_shims.ts";
import { sacctByName, skipSlurm } from "./_slurm.ts";
import { waitFor } from "./_helpers.ts";

const ignore = skipSlurm();
const systems = {
  pbs: { make: pbs, cancel: "qdel" },
  lsf: { make: lsf, cancel: "bkill" },
} as const;

for (const [system, { make, cancel }] of Object.entries(systems)) {
  const kind = system as "pbs" | "lsf";
  const target = (remoteRoot: string) => make(withPathFirst(local({ remoteRoot }), shimPath(kind)));

  Deno.test(
    { name: `${system}: 40 one-line tasks complete with every result`, ignore },
    () => manyTasks(target),
  );

  Deno.test({
    name: `${system}: exit code, time limit and someone else's cancel are reported as such`,
    ignore,
  }, () =>
    failureClasses(target, (id) => {
      execFileSync(cancel, [id], { env: withShims(kind), stdio: "ignore" });
    }));

  Deno.test({
    name: `${system}: kill -9 right after the submit returns, then a rerun runs no job twice`,
    ignore,
  }, async () => {
    const names = await crashRerun(kind);
    await waitFor(() => sacctByName(names).length >= names.length, 20_000, "sacct to list them");
    const rows = sacctByName(names);
    for (const name of names) {
      assert.equal(rows.filter((r) => r.name === name).length, 1, `${name} submitted once`);
    }
  });
}
