// A small node:http adapter: each request becomes a web `Request`, the handler's `Response` is
// written back, and `RESET` destroys the socket without an answer (the "connection reset"
// failure of BOHRIUM.md §6.3). node:http is used because `Deno.serve` cannot drop a socket.
import { Buffer } from "node:buffer";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Returned by a handler to destroy the connection instead of answering. */
export const RESET: unique symbol = Symbol("reset");

/** Answers one request. */
export type Handler = (req: Request) => Promise<Response | typeof RESET>;

/** A listening server. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** Listens on `hostname:port` (0 picks a free port) and serves `handler`. */
export async function listen(handler: Handler, hostname: string, port: number): Promise<Listening> {
  const server = http.createServer(async (nreq, nres) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of nreq) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(nreq.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const method = nreq.method ?? "GET";
      const hasBody = method !== "GET" && method !== "HEAD";
      const request = new Request(`http://${hostname}:${bound}${nreq.url ?? "/"}`, {
        method,
        headers,
        body: hasBody ? Buffer.concat(chunks) : undefined,
      });
      const response = await handler(request);
      if (response === RESET) {
        (nreq.socket as { resetAndDestroy?: () => void }).resetAndDestroy?.() ??
          nreq.socket.destroy();
        return;
      }
      const body = new Uint8Array(await response.arrayBuffer());
      const out: Record<string, string> = {};
      response.headers.forEach((value, name) => out[name] = value);
      out["content-length"] ??= String(body.length);
      nres.writeHead(response.status, out);
      nres.end(method === "HEAD" ? undefined : body);
    } catch (error) {
      const message = `The stand-in failed to answer: ${(error as Error).message}`;
      if (!nres.headersSent) nres.writeHead(500, { "content-type": "application/json" });
      nres.end(JSON.stringify({ code: "2400", message, error: { msg: message } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
