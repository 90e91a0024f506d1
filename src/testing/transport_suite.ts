import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, posix, resolve, win32 } from "node:path";
import type { PermissionNeeds } from "../plan/permissions.ts";
import type { Connection, Transport } from "../transports/transport.ts";

/**
 * What {@linkcode testTransport} needs of a test framework: named, awaited sub-steps. A Deno
 * `TestContext` is one; with node:test, pass `{ step: (name, fn) => t.test(name, fn) }`.
 *
 * @example
 * ```ts
 * import type { StepContext } from "@deepmodeling/dpdispatcher/testing";
 *
 * // Under node:test: test("my transport", (t) => testTransport(fromNodeTest(t), make, options))
 * function fromNodeTest(t: { test(name: string, fn: () => unknown): Promise<unknown> }): StepContext {
 *   return { step: (name, fn) => t.test(name, fn) };
 * }
 * console.log(typeof fromNodeTest); // "function"
 * ```
 */
export interface StepContext {
  /** Runs `fn` as a named step and resolves when it is done (failed or not). */
  step(name: string, fn: () => void | Promise<void>): Promise<unknown>;
}

/**
 * Options of {@linkcode testTransport}.
 *
 * @example
 * ```ts
 * import type { TransportSuiteOptions } from "@deepmodeling/dpdispatcher/testing";
 *
 * const options: TransportSuiteOptions = { workBase: "/tmp/empty-dir", exec: false };
 * ```
 */
export interface TransportSuiteOptions {
  /** A fresh, empty local directory the suite may fill (it writes `in/`, `back/`, `again/`). */
  readonly workBase: string;
  /** The run id given to `runRoot`. @default a random `suite-...` id */
  readonly runId?: string;
  /** Whether the transport runs real programs (`sh`, `cat`, `test`); `false` skips those steps. @default true */
  readonly exec?: boolean;
}

/**
 * What `make` of {@linkcode testTransport} returns: the transport under test. It is called once
 * per step; a transport that keeps its execution side in memory (a fake) should return one
 * instance every time, so that what one step wrote persists as on a real disk.
 *
 * @example
 * ```ts
 * import { fakeTransport, type TransportFactory } from "@deepmodeling/dpdispatcher/testing";
 *
 * const make: TransportFactory = () => fakeTransport();
 * ```
 */
export type TransportFactory = () => Transport | Promise<Transport>;

const INPUTS: Record<string, string> = {
  "in/a.txt": "alpha ü\n",
  "in/empty.txt": "",
  "in/name with space's.txt": "spaced\n",
  "in/dir/b.txt": "bee\r\nwith CRLF\r\n",
  "in/dir/.hidden": "dot\n",
  // Over 1 MiB: the ssh transport streams such files instead of reading them whole.
  "in/dir/sub/big.txt": "0123456789abcdef ü\n".repeat(60_000),
  "in/logs/x.log": "x\n",
  "in/logs/y.log": "y\n",
  "in/logs/z.txt": "not a log\n",
  "in/deep/1/2/k.dat": "k\n",
};
const SENT = Object.keys(INPUTS).filter((p) => p !== "in/logs/z.txt");
const BOTH = ["in/a.txt", "in/empty.txt", "in/name with space's.txt", "in/dir", "in/deep/**/*.dat"];
const UP = [...BOTH, "in/logs/*.log", "in/nope.txt", "in/none/*.x"];
const DOWN = [...BOTH, "in/logs/?.log", "in/gone.txt", "in/*.none"];
const WORDS = [
  ...["a b", "it's", 'say "hi"', "$HOME", "${PATH}", "`id`", "$(id)", "ü ✓ 日本語", ""],
  ...["back\\slash", "*", "semi;colon && |", "new\nline\ttab", "  padded  ", "~", "-n", "%s"],
];
const TEXTS: Record<string, string> = {
  a: "alpha\n",
  empty: "",
  trailing: "ü 'q' \\$x `y`\n\n\n",
  nonl: "last",
  crlf: "a\r\nb\r\n",
  spaced: "  both ends  ",
};

const bytesOf = (paths: readonly string[]) =>
  Buffer.byteLength(paths.map((p) => INPUTS[p]).join(""));
const eq: (actual: unknown, expected: unknown, message?: string) => void = assert.deepEqual;
const moved = (files: number, bytes: number, missing: string[] = []) => ({ files, bytes, missing });
const exists = (path: string) => stat(path).then(() => true, () => false);
const lists = (value: true | readonly string[] | undefined, item: string) =>
  value === true || (value?.includes(item) ?? false);

async function writeLocalTree(base: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(base, rel)), { recursive: true });
    await writeFile(join(base, rel), text);
  }
}

/** Rejects when `promise` takes longer than `ms` (a command left waiting on stdin, say). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function checkNeedsShape(needs: PermissionNeeds): void {
  assert.equal(typeof needs, "object");
  for (const [kind, value] of Object.entries(needs)) {
    assert.ok(["read", "write", "run", "net", "env", "sys"].includes(kind), `unknown kind ${kind}`);
    if (value === undefined || value === true) continue;
    assert.ok(Array.isArray(value), `${kind} must be true or a list`);
    for (const v of value) assert.equal(typeof v, "string", `${kind} holds a non-string`);
  }
}

/** One conformance step: it gets a fresh connection, the run root and the transport. */
interface Step {
  readonly name: string;
  /** Runs real programs: skipped with `exec: false`. */
  readonly exec?: boolean;
  readonly fn: (c: Connection, root: string, transport: Transport) => void | Promise<void>;
}

/**
 * Runs the steps every {@linkcode Transport} must pass, each as a named step of `t` with its own
 * connection, against the transport `make` returns for it:
 *
 * - the transport's shape (name, host, JSON-safe options, absolute `runRoot`);
 * - exec: exit code, stdout and stderr apart, no throw on a failure, `null` for a signal;
 *   argv words (spaces, quotes, `$HOME`, backticks, unicode, empty) arrive unchanged; stdin
 *   is passed, and none means end of input;
 * - readFiles: texts exactly, in order, `undefined` for missing files;
 * - writeFiles: parent directories and `dirs` made, overwrites in place, no temporary left;
 * - upload then download: files, a directory and globs (`*`, `?`, `**`) round-trip byte for byte,
 *   unmatched entries and patterns reported as missing (in place: nothing is copied, only
 *   what is missing reported);
 * - a second upload of unchanged files copies none; a file whose size changed is sent again;
 * - remove: an absent path is fine, a tree goes, its sibling stays;
 * - connect, then close twice;
 * - permissions: a local transport (`lazyLocal`, `local`) needs the scheduler's `run`, ssh a
 *   `net` entry instead; others only have to return well-formed needs;
 * - clean-up: removing the run root removes everything the suite wrote there (not in place).
 *
 * The steps that run programs assume a POSIX `sh` on the execution side; `exec: false` skips
 * them (and the `test -d` checks inside others). Local files are written with node:fs.
 *
 * @param t Where the steps run: a Deno `TestContext`, or an adapter.
 * @param make Makes the transport under test.
 * @param options The local work base and the run id.
 * @example
 * ```ts
 * import { fakeTransport, testTransport } from "@deepmodeling/dpdispatcher/testing";
 *
 * Deno.test("the fake transport conforms", async (t) => {
 *   const workBase = await Deno.makeTempDir();
 *   await testTransport(t, () => fakeTransport(), { workBase, exec: false });
 *   await Deno.remove(workBase, { recursive: true });
 * });
 * ```
 */
export async function testTransport(
  t: StepContext,
  make: TransportFactory,
  options: TransportSuiteOptions,
): Promise<void> {
  const workBase = resolve(options.workBase);
  const runId = options.runId ?? `suite-${Math.random().toString(36).slice(2, 10)}`;
  const canExec = options.exec ?? true;
  const isDir = async (c: Connection, path: string) =>
    (await c.exec(["test", "-d", path])).exitCode === 0;
  await writeLocalTree(workBase, INPUTS);
  await mkdir(join(workBase, "in/dir/empty/sub"), { recursive: true });

  const steps: Step[] = [{
    name: "exec: exit code, stdout and stderr apart; no throw on failure",
    exec: true,
    fn: async (c) => {
      const failed = await c.exec(["sh", "-c", "printf out; printf 'err\\n' >&2; exit 3"]);
      eq({ ...failed }, { exitCode: 3, stdout: "out", stderr: "err\n" });
      eq({ ...await c.exec(["true"]) }, { exitCode: 0, stdout: "", stderr: "" });
      assert.equal((await c.exec(["sh", "-c", "exit 255"])).exitCode, 255);
    },
  }, {
    name: "exec: a command killed by a signal has exit code null",
    exec: true,
    fn: async (c) => assert.equal((await c.exec(["sh", "-c", "kill -KILL $$"])).exitCode, null),
  }, {
    name: "exec: argv words arrive unchanged",
    exec: true,
    fn: async (c) => {
      const r = await c.exec(["sh", "-c", 'printf "%s|" "$@"', "x", ...WORDS]);
      eq({ ...r }, { exitCode: 0, stdout: WORDS.map((w) => `${w}|`).join(""), stderr: "" });
    },
  }, {
    name: "exec: stdin is passed; without stdin a reader sees end of input",
    exec: true,
    fn: async (c) => {
      const text = "line 1\nü ✓\n\n  tail without newline";
      assert.equal((await c.exec(["cat"], { stdin: text })).stdout, text);
      const big = "0123456789\n".repeat(50_000);
      assert.equal((await c.exec(["wc", "-c"], { stdin: big })).stdout.trim(), "550000");
      assert.equal((await c.exec(["cat"], { stdin: "" })).stdout, "");
      const none = await within(30_000, "cat without stdin", c.exec(["cat"]));
      eq({ ...none }, { exitCode: 0, stdout: "", stderr: "" });
      assert.equal((await c.exec(["cat"], { stdin: "on", idempotent: true })).stdout, "on");
    },
  }, {
    name: "readFiles: texts exactly, in order, undefined for missing files",
    fn: async (c, root) => {
      const dir = `${root}/read`;
      const entries = Object.entries(TEXTS);
      await c.writeFiles(entries.map(([name, content]) => ({ path: `${dir}/${name}`, content })));
      const names = ["a", "missing", "empty", "trailing", "nonl", "crlf", "spaced"];
      const paths = [...names.map((n) => `${dir}/${n}`), `${root}/no-such-dir/x`];
      const want = [...names.map((n) => TEXTS[n]), undefined];
      eq(await c.readFiles(paths), want); // many at once
      for (const few of [[0, 1, 2], [3, 7], [4]]) { // a few at a time (ssh: over SFTP)
        eq(await c.readFiles(few.map((i) => paths[i])), few.map((i) => want[i]));
      }
      eq(await c.readFiles([]), []);
    },
  }, {
    name: "writeFiles: creates parents and dirs, overwrites, leaves no temporary",
    fn: async (c, root) => {
      const w = `${root}/write`;
      const f = `${w}/deep/it's/f.txt`;
      const made = [`${w}/made/a`, `${w}/made/b c/d`];
      await c.writeFiles([{ path: f, content: "one" }, { path: `${w}/top.txt`, content: "t\n" }], {
        dirs: made,
      });
      eq(await c.readFiles([f, `${w}/top.txt`]), ["one", "t\n"]);
      await c.writeFiles([{ path: f, content: "two, and longer" }]);
      eq(await c.readFiles([f]), ["two, and longer"]);
      await c.writeFiles([{ path: f, content: "3" }]);
      eq(await c.readFiles([f]), ["3"]);
      await c.writeFiles([], { dirs: [`${w}/only-dirs/x`] });
      await c.writeFiles([]);
      if (!canExec) return;
      for (const d of [...made, `${w}/only-dirs/x`]) assert.ok(await isDir(c, d), `${d} missing`);
      const listing = await c.exec(["ls", "-A", `${w}/deep/it's`]);
      assert.equal(listing.stdout, "f.txt\n", "a temporary file was left behind");
    },
  }, {
    name: "upload then download: files, a directory and globs round-trip; unmatched are missing",
    fn: async (c, root, transport) => {
      const missingUp = ["in/nope.txt", "in/none/*.x"];
      const missingDown = ["in/gone.txt", "in/*.none"];
      if (transport.inPlace) {
        // In place, the inputs already are where tasks run: nothing is copied either way.
        eq(await c.upload(workBase, root, UP), moved(0, 0, missingUp));
        eq(await c.download(root, workBase, DOWN), moved(0, 0, missingDown));
        eq(await c.readFiles(SENT.map((p) => `${root}/${p}`)), SENT.map((p) => INPUTS[p]));
        return;
      }
      eq(await c.upload(workBase, root, []), moved(0, 0));
      eq(await c.upload(workBase, root, UP), moved(SENT.length, bytesOf(SENT), missingUp));
      const there = await c.readFiles(["in/a.txt", "in/logs/z.txt"].map((p) => `${root}/${p}`));
      eq(there, [INPUTS["in/a.txt"], undefined], "the glob over-matched");
      const back = join(workBase, "back");
      eq(await c.download(root, back, DOWN), moved(SENT.length, bytesOf(SENT), missingDown));
      for (const p of SENT) {
        const same = (await readFile(join(workBase, p))).equals(await readFile(join(back, p)));
        assert.ok(same, `${p} differs after the round trip`);
      }
      assert.equal(await exists(join(back, "in/logs/z.txt")), false, "z.txt was not uploaded");
      // A copied directory keeps its empty subdirectories, both ways (as cp -r and tar do).
      if (canExec) assert.ok(await isDir(c, `${root}/in/dir/empty/sub`), "empty dir not sent");
      assert.ok(await exists(join(back, "in/dir/empty/sub")), "empty dir not brought back");
      eq(await c.download(root, join(workBase, "back-all"), ["in/**/*.log"]), moved(2, 4));
      eq(await c.download(`${root}/no-such-dir`, back, ["x", "*.y"]), moved(0, 0, ["x", "*.y"]));
    },
  }, {
    name: "upload: unchanged files are not copied again; a changed one is",
    fn: async (c, root, transport) => {
      await writeLocalTree(workBase, { "again/a": "1\n", "again/d/b": "22\n", "again/d/e/c": "3" });
      const entries = ["again/a", "again/d"];
      const copies = (n: number, bytes: number) =>
        transport.inPlace ? moved(0, 0) : moved(n, bytes);
      eq(await c.upload(workBase, root, entries), copies(3, 6));
      eq(await c.upload(workBase, root, entries), moved(0, 0));
      await writeFile(join(workBase, "again/d/b"), "twenty-two\n");
      eq(await c.upload(workBase, root, entries), copies(1, 11));
      eq(await c.readFiles([`${root}/again/d/b`]), ["twenty-two\n"]);
    },
  }, {
    name: "remove: an absent path is fine, a tree goes, its sibling stays",
    fn: async (c, root) => {
      const r = `${root}/rm`;
      const gone = [`${r}/tree/a/b.txt`, `${r}/tree/c.txt`, `${r}/single.txt`];
      const kept = [`${r}/tree-sibling/d.txt`, `${r}/treefile`];
      await c.writeFiles([...gone, ...kept].map((path) => ({ path, content: "x" })));
      await c.remove(`${r}/absent`);
      await c.remove(`${root}/no/such/deep/path`);
      await c.remove(`${r}/tree`);
      await c.remove(`${r}/single.txt`);
      eq(await c.readFiles(gone), [undefined, undefined, undefined]);
      eq(await c.readFiles(kept), ["x", "x"]);
      if (canExec) assert.equal(await isDir(c, `${r}/tree`), false, "the tree's directory stays");
    },
  }, {
    name: "connect, then close twice",
    fn: async (c, _root, transport) => {
      await c.close();
      await c[Symbol.asyncDispose]();
      const d = await transport.connect();
      await d[Symbol.asyncDispose]();
    }, // and the step's own close() comes after
  }, {
    name: "permissions: local transports need the scheduler's run, ssh its net",
    fn: (_c, _root, transport) => {
      if (!transport.permissions) return; // without it, the commands are taken to run here
      const needs = transport.permissions({ run: ["bash"] });
      checkNeedsShape(needs);
      if (transport.name === "lazyLocal" || transport.name === "local") {
        assert.ok(lists(needs.run, "bash"), "commands run here: run must include bash");
      } else if (transport.name === "ssh") {
        assert.ok(needs.net === true || (needs.net?.length ?? 0) > 0, "ssh needs a net entry");
        assert.ok(!lists(needs.run, "bash"), "ssh runs the scheduler's commands remotely");
      }
    },
  }, {
    name: "clean-up: removing the run root removes what the suite wrote",
    fn: async (c, root, transport) => {
      if (transport.inPlace) return; // the run root is the caller's work base
      await c.remove(root);
      const left = ["read/a", "write/top.txt", "rm/treefile"].map((p) => `${root}/${p}`);
      eq(await c.readFiles(left), [undefined, undefined, undefined]);
      if (canExec) assert.equal(await isDir(c, root), false, "the run root stays");
    },
  }];

  await t.step("shape: name, host, JSON-safe options, inPlace, absolute runRoot", async () => {
    const transport = await make();
    assert.ok(typeof transport.name === "string" && transport.name !== "", "name");
    assert.equal(typeof transport.host, "string");
    assert.equal(typeof transport.inPlace, "boolean");
    eq(JSON.parse(JSON.stringify(transport.options)), transport.options);
    const grace = transport.endFileGraceMs;
    assert.ok(grace === undefined || (typeof grace === "number" && grace >= 0), "endFileGraceMs");
    const root = transport.runRoot(workBase, runId);
    assert.ok(posix.isAbsolute(root) || win32.isAbsolute(root), `runRoot ${root} is relative`);
    if (transport.inPlace) assert.equal(resolve(root), workBase, "in place: runRoot is workBase");
  });
  for (const step of steps) {
    if (step.exec && !canExec) continue;
    await t.step(step.name, async () => {
      const transport = await make();
      const c = await transport.connect();
      try {
        await step.fn(c, transport.runRoot(workBase, runId), transport);
      } finally {
        await c.close();
      }
    });
  }
}
