/** Parses a walltime into seconds: `90m`, `1h30m`, `2d`, `01:30:00`, `1-00:00:00`, or seconds. */
export function parseWalltime(value: string | number): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
  }
  const text = value.trim();
  const clock = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d{1,2})$/.exec(text);
  if (clock) {
    const [, d = "0", h = "0", m, s] = clock;
    const total = ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s);
    return total > 0 ? total : undefined;
  }
  const units = /^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$/i.exec(text);
  if (units && text !== "") {
    const [, d = "0", h = "0", m = "0", s = "0"] = units;
    const total = ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s);
    return total > 0 ? total : undefined;
  }
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

const FACTOR: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };

/** Parses a memory size into MiB: `4G`, `4GB`, `4GiB`, `512M`, `1.5g`, or a number of MiB. */
export function parseMemory(value: string | number): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
  }
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT])?(?:i?B)?$/i.exec(value.trim());
  if (!match) return undefined;
  const mib = Math.ceil(Number(match[1]) * FACTOR[(match[2] ?? "M").toUpperCase()]);
  return mib > 0 ? mib : undefined;
}

/** Formats seconds as Slurm/PBS `HH:MM:SS` (hours may exceed 24). */
export function formatClock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h, m, s].map((n) => String(n).padStart(2, "0")).join(":");
}
