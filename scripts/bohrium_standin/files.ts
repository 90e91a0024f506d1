// The signed file URLs the APIs hand out: log bytes (`Range: bytes=N-` honoured, no auth, as
// BOHRIUM.md §1.7 call 6 needs) and the result zip (`resultFailure` injections apply here).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { bytesBody, fail, RETCODE } from "./envelope.ts";
import { consume } from "./inject.ts";
import { resultUrl } from "./jobs.ts";
import { legacyAuth } from "./auth.ts";
import type { JobRecord, State } from "./state.ts";
import { workDir } from "./runner.ts";

/** One log a job has: a submitted `logFiles` entry, or `STDOUTERR` (the command's output). */
export interface LogSource {
  index: number;
  name: string;
  size: number;
  bytes: Uint8Array;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A job's logs as they are now: none before it runs, then its `logFiles` and `STDOUTERR`. */
export async function logSources(state: State, job: JobRecord): Promise<LogSource[]> {
  if (job.startTime === undefined) return [];
  const sources: LogSource[] = [];
  for (const [index, name] of job.logFiles.entries()) {
    let bytes = new Uint8Array();
    if (job.dir !== undefined && !name.split("/").includes("..")) {
      bytes = await readFile(join(workDir(state, job), name)).then((b) => new Uint8Array(b))
        .catch(() => new Uint8Array());
    }
    sources.push({ index, name, size: bytes.length, bytes });
  }
  const output = concat(job.output);
  sources.push({
    index: job.logFiles.length,
    name: "STDOUTERR",
    size: output.length,
    bytes: output,
  });
  return sources;
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain" } });
}

async function serveLog(state: State, job: JobRecord, index: number, req: Request) {
  const source = (await logSources(state, job)).find((s) => s.index === index);
  if (!source) return plain(404, `Job ${job.id} has no log ${index} yet`);
  const range = req.headers.get("range");
  if (range === null) {
    return new Response(bytesBody(source.bytes), {
      headers: { "content-type": "text/plain; charset=utf-8", "accept-ranges": "bytes" },
    });
  }
  const m = /^bytes=(\d+)-(\d*)$/.exec(range.trim());
  if (!m) return plain(400, `Range header "${range}" is not of the form bytes=N- or bytes=N-M`);
  const start = Number(m[1]);
  const end = m[2] === "" ? source.size - 1 : Math.min(Number(m[2]), source.size - 1);
  if (start >= source.size || end < start) {
    return new Response(null, {
      status: 416,
      headers: { "content-range": `bytes */${source.size}` },
    });
  }
  return new Response(bytesBody(source.bytes.slice(start, end + 1)), {
    status: 206,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-range": `bytes ${start}-${end}/${source.size}`,
    },
  });
}

function serveResult(state: State, job: JobRecord, req: Request): Response {
  if (resultUrl(state, job) === "") return plain(404, `Job ${job.id} has no result`);
  if (state.config.requireResultAuth) {
    const denied = legacyAuth(state, req);
    if (denied) return fail(RETCODE.TOKENINVALID, "The result download needs a valid login", 403);
  }
  const failure = consume(
    state.rules.resultFailure,
    (rule) => rule.pattern === undefined || rule.pattern.test(job.name),
  );
  if (failure) return plain(failure.status, `Injected failure: result answers ${failure.status}`);
  return new Response(bytesBody(job.result!), {
    headers: {
      "content-type": "application/zip",
      "content-disposition": 'attachment; filename="out.zip"',
    },
  });
}

/** Routes `/__files/...`; undefined for any other path. */
export async function filesRoute(state: State, req: Request, url: URL) {
  const m = /^\/__files\/(log|result)\/(\d+)\/([^/]+)$/.exec(url.pathname);
  if (!m) return undefined;
  const job = state.jobs.get(Number(m[2]));
  if (!job || url.searchParams.get("sig") !== job.fileToken) {
    return plain(403, "The URL signature is not valid");
  }
  if (req.method !== "GET" && req.method !== "HEAD") return plain(405, "Only GET is allowed");
  if (m[1] === "log") return await serveLog(state, job, Number(m[3]), req);
  return m[3] === "out.zip" ? serveResult(state, job, req) : plain(404, "No such file");
}
