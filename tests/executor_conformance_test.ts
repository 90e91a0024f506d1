// The executor conformance suite, end to end, over every built-in target that really runs jobs
// here: Shell in place, Shell over local copies, Slurm and Slurm job arrays (the test cluster;
// skipped without one unless DPD_REQUIRE_SLURM=1), Shell over SSH (the test sshd), and Grid
// Engine and its job arrays (scripts/start_sge.sh; required with DPD_REQUIRE_SGE=1).
import {
  fugaku,
  jhUniScheduler,
  lazyLocal,
  local,
  type ResourcesInput,
  sge,
  sgeJobArray,
  shell,
  slurm,
  slurmJobArray,
  type Target,
} from "../mod.ts";
import { testExecutor } from "../src/testing/mod.ts";
import { tempDir } from "./_helpers.ts";
import { withPathFirst } from "./_path_transport.ts";
import { shimPath } from "./_shims.ts";
import { sgeEnv } from "./_sge.ts";
import { skipSlurm } from "./_slurm.ts";
import { sharedDir, sshEnv, testSsh } from "./_ssh.ts";

const env = sshEnv();
const noSlurm = skipSlurm();
const noSge = sgeEnv() === undefined;

/** Runs the suite for a target made with a fresh remote root, in a fresh work base. */
function conforms(
  name: string,
  make: (remoteRoot: string) => Target,
  { ignore = false, timeoutMs = 20_000, resources }: {
    ignore?: boolean;
    timeoutMs?: number;
    resources?: Partial<ResourcesInput>;
  } = {},
): void {
  Deno.test({
    name: `${name} passes the executor conformance steps`,
    ignore,
    fn: async (t) => {
      const workBase = await tempDir("dpd-exec-conf-work-");
      const remoteRoot = await sharedDir("dpd-exec-conf-root-");
      try {
        await testExecutor(t, () => make(remoteRoot), { workBase, timeoutMs, resources });
      } finally {
        await Deno.remove(workBase, { recursive: true });
        await Deno.remove(remoteRoot, { recursive: true });
      }
    },
  });
}

conforms("shell(lazyLocal())", () => shell(lazyLocal()));
conforms("shell(local({ remoteRoot }))", (remoteRoot) => shell(local({ remoteRoot })));
// Other work may share the test cluster's queue: Slurm gets longer waits.
const onSlurm = { ignore: noSlurm, timeoutMs: 45_000 };
conforms("slurm(local({ remoteRoot }))", (root) => slurm(local({ remoteRoot: root })), onSlurm);
conforms(
  "slurmJobArray(local({ remoteRoot }))",
  (root) => slurmJobArray(local({ remoteRoot: root })),
  onSlurm,
);
conforms("shell(ssh)", (root) => shell(testSsh(env!, root)), { ignore: env === undefined });
const onSge = { ignore: noSge, timeoutMs: 45_000, resources: { queueName: "all.q" } };
conforms("sge(local({ remoteRoot }))", (root) => sge(local({ remoteRoot: root })), onSge);
conforms(
  "sgeJobArray(local({ remoteRoot }))",
  (root) => sgeJobArray(local({ remoteRoot: root })),
  onSge,
);
// Fugaku (PJM) and JH UniScheduler on their shims over the test cluster (scripts/shims/).
conforms(
  "fugaku(shims)",
  (root) => fugaku(withPathFirst(local({ remoteRoot: root }), shimPath("fugaku"))),
  onSlurm,
);
conforms(
  "jhUniScheduler(shims)",
  (root) => jhUniScheduler(withPathFirst(local({ remoteRoot: root }), shimPath("jh_unischeduler"))),
  onSlurm,
);
