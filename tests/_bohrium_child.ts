// A runner that dies right after Bohrium accepted its jobs: its session's submit() waits after
// the cloud answered (before the runner can journal the ids) until the parent kills it with -9.
// Usage: deno run -A tests/_bohrium_child.ts <json config>; the secret comes in BOHRIUM_TEST_SECRET.
import { dispatch } from "../mod.ts";
import type { Target } from "../mod.ts";
import { bohriumTarget, bohriumTasks, type ChildConfig } from "./_bohrium.ts";

const config = JSON.parse(Deno.args[0]) as ChildConfig;
const real = bohriumTarget(config, Deno.env.get("BOHRIUM_TEST_SECRET")!);
const target: Target = {
  kind: "target",
  executor: {
    ...real.executor,
    async open(plan, options) {
      const s = await real.executor.open(plan, options);
      return {
        ...s,
        lookup: s.lookup?.bind(s),
        async submit(attempts) {
          const answers = await s.submit(attempts);
          console.log(`submitted ${answers.filter((a) => a.ok).length}`);
          await new Promise((r) => setTimeout(r, 60_000));
          return answers;
        },
      };
    },
  },
};
await dispatch({ workBase: config.workBase }).on(target).with({ groupSize: 5 })
  .tasks(bohriumTasks(20)).run({ throwOnFailure: false });
