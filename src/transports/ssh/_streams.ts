import { Buffer } from "node:buffer";
import { PassThrough, type Readable, Transform } from "node:stream";
import { createGunzip, createGzip } from "node:zlib";

/** A stream that can feed a channel (Node streams and tar-stream's streamx ones). */
export interface Pipeable {
  pipe(destination: NodeJS.WritableStream): unknown;
  on(event: "error", listener: (e: Error) => void): unknown;
}

/** Joins a stream's small chunks into ~256 KiB ones: one SSH packet per tar header is slow. */
export function coalesced(source: Pipeable): Pipeable {
  const parts: Buffer[] = [];
  let size = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      parts.push(chunk);
      size += chunk.length;
      if (size >= 256 * 1024) {
        const all = Buffer.concat(parts);
        parts.length = 0;
        size = 0;
        return done(null, all);
      }
      done();
    },
    flush(done) {
      done(null, parts.length ? Buffer.concat(parts) : undefined);
    },
  });
  source.on("error", (e) => out.destroy(e));
  source.pipe(out);
  return out;
}

/** Gzips a stream (fast level: the point is fewer bytes on a slow link), passing errors on. */
export function gzipped(source: Pipeable) {
  const gzip = createGzip({ level: 1 });
  source.on("error", (e) => gzip.destroy(e));
  source.pipe(gzip);
  return gzip;
}

/** Gunzips a stream; an empty one (nothing matched, so no tar was sent) stays empty. */
export function gunzipped(stream: Readable): Readable {
  const out = new PassThrough();
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  stream.on("data", (chunk: Buffer) => {
    if (!gunzip) {
      gunzip = createGunzip();
      gunzip.on("error", (e) => out.destroy(e));
      gunzip.pipe(out);
    }
    if (!gunzip.write(chunk)) {
      stream.pause();
      gunzip.once("drain", () => stream.resume());
    }
  });
  stream.on("end", () => (gunzip ? gunzip.end() : out.end()));
  stream.on("error", (e) => out.destroy(e));
  return out;
}
