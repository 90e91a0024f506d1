import { readdir, stat } from "node:fs/promises";
import { join, posix } from "node:path";

/** True when an entry or pattern holds a glob character (`*` or `?`). */
export function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/**
 * A RegExp matching whole relative paths: `*` is any run of characters but `/`, `?` one of
 * them, `**` plus a slash any number of directories (none included), a final `**` anything below.
 * Every other character stands for itself. Dotfiles match too, as in the local transport.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*" && pattern[i + 1] === "*") {
      const atStart = i === 0 || pattern[i - 1] === "/";
      if (atStart && pattern[i + 2] === "/") {
        out += "(?:[^/]*/)*";
        i += 2;
        continue;
      }
      if (atStart && i + 2 === pattern.length) {
        out += ".*";
        i += 1;
        continue;
      }
      out += "[^/]*";
      i += 1;
    } else if (ch === "*") out += "[^/]*";
    else if (ch === "?") out += "[^/]";
    else out += ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, "s");
}

/** The directories before a pattern's first glob segment (`"a/b"` for `"a/b/*.txt"`), or `""`. */
export function literalPrefix(pattern: string): string {
  const parts = pattern.split("/");
  const at = parts.findIndex(isGlob);
  return parts.slice(0, at === -1 ? parts.length - 1 : at).join("/");
}

/** A normalized absolute path on the fake execution side: no `.`, `..`, `//` or final `/`. */
export const norm = (path: string): string => {
  const p = posix.normalize(path);
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
};

/** True when `path` lies under the directory `base` (both normalized). */
export const under = (base: string, path: string): boolean =>
  base === "/" || path.startsWith(`${base}/`);

/** `path` relative to `base`, which it lies under. */
export const rel = (base: string, path: string): string =>
  path.slice(base === "/" ? 1 : base.length + 1);

/** True when `path` is `root` or lies under it; `""` is the base itself, holding everything. */
const inside = (path: string, root: string) =>
  root === "" || path === root || path.startsWith(`${root}/`);

/** Every file and directory (relative path to is-a-directory) under `prefix`, following symlinks. */
async function walkLocal(base: string, prefix: string, out: Map<string, boolean>): Promise<void> {
  for (const name of await readdir(join(base, prefix)).catch(() => [])) {
    const p = prefix ? `${prefix}/${name}` : name;
    const isDir = (await stat(join(base, p)).catch(() => undefined))?.isDirectory();
    if (isDir === undefined) continue;
    out.set(p, isDir);
    if (isDir) await walkLocal(base, p, out);
  }
}

/**
 * The local files and directories (relative to `base`) an upload entry stands for: a file, a
 * directory and all below it, or what a glob matches; undefined when it matches nothing.
 */
export async function expandLocal(
  base: string,
  entry: string,
): Promise<{ files: string[]; dirs: string[] } | undefined> {
  const tree = new Map<string, boolean>();
  let roots: string[];
  if (isGlob(entry)) {
    await walkLocal(base, literalPrefix(entry), tree);
    const re = globToRegExp(entry);
    roots = [...tree.keys()].filter((p) => re.test(p));
  } else {
    const p = posix.normalize(entry).replace(/\/+$/, "");
    const info = await stat(join(base, p)).catch(() => undefined);
    if (!info) return undefined;
    tree.set(p, info.isDirectory());
    if (info.isDirectory()) await walkLocal(base, p, tree);
    roots = [p];
  }
  if (roots.length === 0) return undefined;
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const root of roots) {
    for (const [p, isDir] of tree) if (inside(p, root)) (isDir ? dirs : files).add(p);
  }
  return { files: [...files].sort(), dirs: [...dirs].sort() };
}

/**
 * What a download pattern stands for in the fake's tree under `base` (normalized): the files and
 * directories, relative to `base`; undefined when it matches nothing.
 */
export function expandRemote(
  base: string,
  files: Iterable<string>,
  dirs: Iterable<string>,
  pattern: string,
): { files: string[]; dirs: string[] } | undefined {
  const here = [...files].filter((p) => under(base, p)).map((p) => rel(base, p));
  const folders = new Set([...dirs].filter((d) => under(base, d)).map((d) => rel(base, d)));
  for (const p of here) {
    for (let at = p.indexOf("/"); at > 0; at = p.indexOf("/", at + 1)) folders.add(p.slice(0, at));
  }
  let roots: string[];
  if (isGlob(pattern)) {
    const re = globToRegExp(pattern);
    roots = [...here, ...folders].filter((p) => re.test(p));
  } else {
    const p = posix.normalize(pattern).replace(/\/+$/, "");
    roots = p === "." ? [""] : here.includes(p) || folders.has(p) ? [p] : [];
  }
  if (roots.length === 0) return undefined;
  return {
    files: here.filter((p) => roots.some((root) => inside(p, root))),
    dirs: [...folders].filter((p) => roots.some((root) => inside(p, root))),
  };
}
