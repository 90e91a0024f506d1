import { formatClock } from "../plan/units.ts";
import type { Resources } from "../plan/resources.ts";

/**
 * Fills a header template (dpdispatcher's `customized_script_header_template_file`): `{name}`
 * placeholders take resource values, by dpdispatcher's snake_case key or the camelCase one;
 * `{{` and `}}` are literal braces, as in Python's str.format. Unknown names stay as written.
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
  return template
    .replace(/\{\{|\}\}|\{(\w+)\}/g, (match, name?: string) => {
      if (match === "{{") return "{";
      if (match === "}}") return "}";
      const value = values[name!];
      return value === undefined ? match : String(value);
    });
}
