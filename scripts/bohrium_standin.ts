// A local stand-in for DP Technology's Bohrium cloud (legacy API, OSS, OpenAPI, Tiefblue),
// running each submitted job as a local process. Usage: `deno run -A
// scripts/bohrium_standin.ts --port P [flags]` (see scripts/bohrium_standin/README.md); prints
// `listening http://127.0.0.1:P/` when ready and stops on SIGINT or SIGTERM.
import { parseFlags, USAGE } from "./bohrium_standin/cli.ts";
import { startStandin } from "./bohrium_standin/mod.ts";

export { startStandin } from "./bohrium_standin/mod.ts";
export type * from "./bohrium_standin/types.ts";

if (import.meta.main) {
  let options;
  try {
    options = parseFlags(Deno.args, Deno.env.toObject());
  } catch (error) {
    console.error(`bohrium_standin: ${(error as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (options === "help") {
    console.log(USAGE);
    Deno.exit(0);
  }
  const standin = await startStandin(options);
  console.log(`listening ${standin.url}`);
  const stop = async () => {
    await standin.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
