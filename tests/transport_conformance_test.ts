import { testTransport } from "../src/testing/mod.ts";
import { lazyLocal, local } from "../mod.ts";
import { sharedDir, sshEnv, testSsh } from "./_ssh.ts";

const env = sshEnv();
const ignore = env === undefined;

Deno.test("lazyLocal passes the transport conformance steps", async (t) => {
  const workBase = await Deno.makeTempDir({ prefix: "dpd-conf-lazy-" });
  try {
    await testTransport(t, () => lazyLocal(), { workBase });
  } finally {
    await Deno.remove(workBase, { recursive: true });
  }
});

Deno.test("local passes the transport conformance steps", async (t) => {
  const workBase = await Deno.makeTempDir({ prefix: "dpd-conf-local-work-" });
  const remoteRoot = await Deno.makeTempDir({ prefix: "dpd-conf-local-root-" });
  try {
    await testTransport(t, () => local({ remoteRoot }), { workBase, runId: "conformance" });
  } finally {
    await Deno.remove(workBase, { recursive: true });
    await Deno.remove(remoteRoot, { recursive: true });
  }
});

Deno.test({
  name: "ssh passes the transport conformance steps",
  ignore,
  fn: async (t) => {
    const workBase = await Deno.makeTempDir({ prefix: "dpd-conf-ssh-work-" });
    // Written remotely by hpcuser: the run root's parent must be writable by everyone.
    const remoteRoot = await sharedDir("dpd-conf-ssh-root-");
    try {
      await testTransport(t, () => testSsh(env!, remoteRoot), { workBase, runId: "conformance" });
    } finally {
      await Deno.remove(workBase, { recursive: true });
      await Deno.remove(remoteRoot, { recursive: true });
    }
  },
});
