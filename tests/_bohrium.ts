// Shared by tests/bohrium_test.ts and its crashing child: the targets and the tasks.
import { bohrium, bohriumOpenApi } from "../src/executor/bohrium/mod.ts";
import { type Target, type Task, task } from "../mod.ts";

/** What the child needs to build the same target (no secret: that comes by environment). */
export interface ChildConfig {
  readonly api: "legacy" | "openapi";
  readonly url: string;
  readonly ossEndpoint: string;
  readonly ossBucketUrl: string;
  readonly workBase: string;
  readonly ignoreExitCode?: boolean;
}

export function bohriumTarget(c: ChildConfig, secret: string): Target {
  return c.api === "legacy"
    ? bohrium({
      email: "standin@example.com",
      password: secret,
      programId: 154,
      machineType: "c2_m4_cpu",
      imageName: "registry.dp.tech/dptech/ubuntu:22.04-py3.10",
      apiHost: c.url,
      ossEndpoint: c.ossEndpoint,
      ossBucketUrl: c.ossBucketUrl,
      ignoreExitCode: c.ignoreExitCode,
      backoffMs: 20,
    })
    : bohriumOpenApi({
      accessKey: secret,
      projectId: 154,
      machineType: "c2_m4_cpu",
      baseUrl: c.url,
      tiefblueUrl: c.url,
      ignoreExitCode: c.ignoreExitCode,
      backoffMs: 20,
    });
}

/** n tasks, each reading its forward file and writing a result. */
export function bohriumTasks(n: number): Task[] {
  return Array.from({ length: n }, (_, i) =>
    task({
      command: `cat in.txt > out.txt; echo done-${i} >> out.txt`,
      taskWorkPath: `t${i}`,
      forwardFiles: ["in.txt"],
      backwardFiles: ["out.txt"],
    }));
}

export async function writeInputs(workBase: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await Deno.mkdir(`${workBase}/t${i}`, { recursive: true });
    await Deno.writeTextFile(`${workBase}/t${i}/in.txt`, `input ${i}\n`);
  }
}
