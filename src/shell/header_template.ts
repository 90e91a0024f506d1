import { formatClock } from "../plan/units.ts";
import type { Resources } from "../plan/resources.ts";

/**
 * Fills a header template (dpdispatcher's `customized_script_header_template_file`): `{name}`
 * placeholders take resource values, by dpdispatcher's snake_case key or the camelCase one, and
 * `{kwargs[key]}` / `{strategy[key]}` their entries, as Python's str.format indexes a dict; `{{` and
 * `}}` are literal braces. Unknown names stay as written.
 */
export function fillHeader(template: string, r: Resources): string {
  const values: Record<string, string | number | undefined> = {
    number_node: r.numberNode,
    cpu_per_node: r.cpuPerNode,
    gpu_per_node: r.gpuPerNode,
    queue_name: r.queueName,
    group_size: r.groupSize,
    para_deg: r.paraDeg,
    walltime: r.walltime === undefined ? undefined : formatClock(r.walltime),
    memory: r.memory === undefined ? undefined : `${r.memory}M`,
    account: r.account,
    qos: r.qos,
    job_name: r.jobName,
  };
  for (const [key, value] of Object.entries(values)) {
    values[key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] = value;
  }
  const camel = (key: string) => key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  const dicts: Record<string, Readonly<Record<string, unknown>>> = {
    kwargs: r.kwargs,
    strategy: r.strategy,
  };
  return template
    .replace(/\{\{|\}\}|\{(\w+)(?:\[(\w+)\])?\}/g, (match, name?: string, key?: string) => {
      if (match === "{{") return "{";
      if (match === "}}") return "}";
      if (key !== undefined) {
        const dict = dicts[name!];
        const value = dict?.[key] ?? dict?.[camel(key)];
        return value === undefined || value === null || typeof value === "object"
          ? match
          : String(value);
      }
      const value = values[name!];
      return value === undefined ? match : String(value);
    });
}
