import type { PlanTarget } from "../../plan/plan.ts";
import type { JsonValue } from "../../plan/resources.ts";
import type { Target } from "../executor.ts";
import { bohrium, bohriumOpenApi } from "./bohrium.ts";

const REBUILD: Readonly<Record<string, (o: PlanTarget["options"]) => Target>> = {
  bohrium: (o) =>
    bohrium({
      apiHost: String(o.apiHost),
      ossEndpoint: String(o.ossEndpoint),
      ossBucket: String(o.ossBucket),
      ossBucketUrl: String(o.ossBucketUrl),
      email: o.email as string | undefined,
      phone: o.phone as string | undefined,
      programId: Number(o.programId),
      inputData: o.inputData as Record<string, JsonValue>,
      ignoreExitCode: o.ignoreExitCode !== false,
      keepBackup: o.keepBackup !== false,
    }),
  bohriumOpenApi: (o) => {
    const f = (o.fields ?? {}) as Record<string, JsonValue>;
    return bohriumOpenApi({
      baseUrl: String(o.baseUrl),
      tiefblueUrl: String(o.tiefblueUrl),
      projectId: Number(o.projectId),
      sandbox: o.sandbox === true,
      machineType: String(f.scassType ?? ""),
      platform: String(f.platform ?? "ali"),
      imageAddress: String(f.imageName ?? ""),
      realUserId: f.realUserId,
      sessionId: f.sessionId,
      ignoreExitCode: o.ignoreExitCode !== false,
      keepBackup: o.keepBackup !== false,
    });
  },
};

/**
 * Rebuilds a Bohrium target from what a plan recorded (never a secret): the ticket
 * (`BOHR_TICKET`) or access key (`BOHRIUM_ACCESS_KEY`) comes from the environment. Undefined
 * when the record is not Bohrium's, or when its login needs a password (give the submission file).
 *
 * @example
 * ```ts
 * import { recordedBohrium } from "./recorded.ts";
 *
 * console.log(recordedBohrium({ scheduler: "slurm", transport: "ssh", options: {} })); // undefined
 * ```
 */
export function recordedBohrium(recorded: PlanTarget): Target | undefined {
  if (!Object.hasOwn(REBUILD, recorded.scheduler) || recorded.transport !== recorded.scheduler) {
    return undefined;
  }
  try {
    return REBUILD[recorded.scheduler](recorded.options);
  } catch {
    return undefined; // no ticket or access key in the environment: a password login
  }
}
