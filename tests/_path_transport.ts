import type { Transport } from "../mod.ts";

/**
 * A transport whose commands find `dir` first on PATH (`env PATH=dir:$PATH argv...`): the PBS and
 * LSF shims, or the Torque wrappers, for one target only, while the rest of the test process
 * (and Grid Engine's own /usr/bin/qsub) stays as it is.
 */
export function withPathFirst(transport: Transport, dir: string): Transport {
  return {
    ...transport,
    connect: async (options) => {
      const conn = await transport.connect(options);
      const path = `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
      return { ...conn, exec: (argv, o) => conn.exec(["env", `PATH=${path}`, ...argv], o) };
    },
  };
}
