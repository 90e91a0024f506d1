/**
 * Bohrium, DP Technology's cloud: `bohrium({...})` for the legacy API (dpdispatcher's `Bohrium`,
 * `DpCloudServer`, `Lebesgue`) and `bohriumOpenApi({...})` for OpenAPI, each an executor on the
 * runner's seam.
 *
 * @example
 * ```ts
 * import { bohriumOpenApi } from "./mod.ts";
 *
 * const target = bohriumOpenApi({ accessKey: "ak", projectId: 154 });
 * console.log(target.executor.queues, target.executor.submitBatch); // true 20
 * ```
 *
 * @module
 */

export {
  bohrium,
  type BohriumCommonOptions,
  bohriumOpenApi,
  type BohriumOpenApiOptions,
  type BohriumOptions,
} from "./bohrium.ts";
export { HttpError } from "./http.ts";
export { recordedBohrium } from "./recorded.ts";
export { STATUS_NAMES, type StatusMeaning, statusMeaning, statusWords } from "./status.ts";
