// @ts-types="npm:@types/ssh2@^1.15.6"
import ssh2 from "npm:ssh2@^1.17.0";
// @ts-types="npm:@types/ssh2@^1.15.6"
import type { AnyAuthMethod, Client as ClientType, ConnectConfig, Prompt } from "npm:ssh2@^1.17.0";
import type { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname } from "node:path";
import { Duplex } from "node:stream";
import { spawn } from "node:child_process";
import { ConnectionError } from "../../errors.ts";
import { checkHostKey, fingerprint, knownHostsLine, knownKeyTypes } from "./known_hosts.ts";
import { expandHome, type Hop } from "./_hops.ts";
import { totp } from "./totp.ts";

const { Client, utils } = ssh2;

/** Secrets: kept in memory only, never in plans, journals, events or errors. */
export interface Secrets {
  readonly password?: string;
  readonly passphrase?: string;
  readonly totpSecret?: string;
}

/** Login settings shared by every hop. */
export interface LoginSettings {
  readonly keyFilenames: readonly string[];
  readonly lookForKeys: boolean;
  /** An agent socket path, or undefined for none. */
  readonly agent?: string;
  readonly knownHosts: string;
  readonly hostKeyPolicy: "strict" | "accept-new";
  readonly timeoutMs: number;
  readonly keepaliveMs: number;
}

const HOST_KEY_ALGOS: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
};

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The last TOTP step used per secret (by hash), so a fast reconnect never reuses a code. */
const usedSteps = new Map<string, number>();

async function totpCode(secret: string): Promise<string> {
  const id = createHash("sha256").update(secret).digest("hex");
  let step = Math.floor(Date.now() / 30_000);
  if (usedSteps.get(id) === step) {
    // Servers refuse a code twice (pam_google_authenticator DISALLOW_REUSE): wait for the next.
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 50));
    step++;
  }
  usedSteps.set(id, step);
  return totp(secret, step * 30_000);
}

const isCodePrompt = (p: string) =>
  /verification|one[- ]?time|otp|token|authenticator|2fa|mfa|code/i.test(p);

/** Private keys to offer, in order: explicit files, IdentityFile, then the default names. */
function keysFor(hop: Hop, settings: LoginSettings, secrets: Secrets): AnyAuthMethod[] {
  const explicit = settings.keyFilenames.map(expandHome);
  const defaults = settings.lookForKeys
    ? ["id_ed25519", "id_ecdsa", "id_rsa"].map((n) => `${homedir()}/.ssh/${n}`)
    : [];
  const methods: AnyAuthMethod[] = [];
  for (const path of [...new Set([...explicit, ...hop.identityFiles, ...defaults])]) {
    const named = explicit.includes(path);
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (e) {
      if (named) {
        throw new TypeError(
          `Invalid ssh.keyFilename: cannot read ${JSON.stringify(path)} (${
            (e as NodeJS.ErrnoException).code
          })`,
        );
      }
      continue;
    }
    const parsed = utils.parseKey(data, secrets.passphrase);
    if (parsed instanceof Error) {
      if (named) {
        const why = /passphrase/i.test(parsed.message)
          ? secrets.passphrase ? "wrong passphrase" : "it is encrypted and no passphrase was given"
          : parsed.message;
        throw new TypeError(`Invalid ssh.keyFilename: cannot use ${JSON.stringify(path)}: ${why}`);
      }
      continue;
    }
    methods.push({
      type: "publickey",
      username: hop.username,
      key: data,
      passphrase: secrets.passphrase,
    });
  }
  return methods;
}

/** An open, authenticated client and the hops under it. */
export interface Link {
  readonly client: ClientType;
  /** Resolves when the link closes for any reason. */
  readonly closed: Promise<void>;
  /** True once the link has closed. */
  dead: boolean;
  /** Closes the client and every jump under it. */
  end(): void;
}

function connectOne(
  hop: Hop,
  settings: LoginSettings,
  secrets: Secrets,
  sock?: Duplex,
): Promise<ClientType> {
  const client = new Client();
  const where = `${hop.username}@${hop.host}:${hop.port}`;
  let refusal: string | undefined;
  const tried: string[] = [];
  const queue: AnyAuthMethod[] = [...keysFor(hop, settings, secrets)];
  if (settings.agent) queue.push({ type: "agent", username: hop.username, agent: settings.agent });
  const prompt = (
    _name: string,
    _instructions: string,
    _lang: string,
    prompts: Prompt[],
    finish: (answers: string[]) => void,
  ) => {
    Promise.all(prompts.map(async ({ prompt }) => {
      if (secrets.totpSecret && isCodePrompt(prompt)) return await totpCode(secrets.totpSecret);
      if (secrets.password !== undefined && /pass/i.test(prompt)) return secrets.password;
      refusal ??= `Cannot log in to ${where}: no answer for the server's prompt ${
        JSON.stringify(prompt.trim())
      } (set ssh.password or ssh.totpSecret)`;
      return "";
    })).then(finish);
  };
  if (secrets.totpSecret) {
    queue.push({ type: "keyboard-interactive", username: hop.username, prompt });
  }
  if (secrets.password !== undefined) {
    queue.push({ type: "password", username: hop.username, password: secrets.password });
    if (!secrets.totpSecret) {
      queue.push({ type: "keyboard-interactive", username: hop.username, prompt });
    }
  }
  const userFile = expandHome(settings.knownHosts);
  const known = () => readText(userFile) + "\n" + readText("/etc/ssh/ssh_known_hosts");
  const types = knownKeyTypes(known(), hop.host, hop.port).flatMap((t) => HOST_KEY_ALGOS[t] ?? []);
  const config: ConnectConfig = {
    host: hop.host,
    port: hop.port,
    username: hop.username,
    sock: sock as ConnectConfig["sock"],
    readyTimeout: settings.timeoutMs,
    keepaliveInterval: settings.keepaliveMs,
    keepaliveCountMax: 3,
    algorithms: types.length > 0
      ? { serverHostKey: types as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"] }
      : undefined,
    hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
      const verdict = checkHostKey(known(), hop.host, hop.port, key);
      const print = fingerprint(key);
      if (verdict.kind === "known") return verify(true);
      if (verdict.kind === "unknown" && settings.hostKeyPolicy === "accept-new") {
        mkdir(dirname(userFile), { recursive: true, mode: 0o700 })
          .then(() =>
            appendFile(userFile, knownHostsLine(hop.host, hop.port, key), { mode: 0o600 })
          )
          .then(() => verify(true), (e) => {
            refusal = `Cannot record the host key of ${hop.host}:${hop.port} in ${userFile}: ${
              (e as Error).message
            }`;
            verify(false);
          });
        return;
      }
      refusal = verdict.kind === "unknown"
        ? `Host ${hop.host}:${hop.port} is not in ${userFile} (its key is ${print}); add it with ssh-keyscan or set hostKeyPolicy: "accept-new"`
        : verdict.kind === "revoked"
        ? `Host ${hop.host}:${hop.port} presented the revoked key ${print}`
        : `Host key of ${hop.host}:${hop.port} has changed: it is now ${print}, ${userFile} expects ${
          verdict.expected.join(" or ")
        }; refusing to connect (possible man-in-the-middle)`;
      verify(false);
    },
    authHandler: (methodsLeft, _partial, next) => {
      while (queue.length > 0) {
        const method = queue.shift()!;
        if (methodsLeft && !methodsLeft.includes(method.type)) continue;
        tried.push(method.type);
        return next(method);
      }
      return next(false as unknown as AnyAuthMethod);
    },
  };
  return new Promise((resolveLogin, reject) => {
    let settled = false;
    client.once("ready", () => {
      settled = true;
      resolveLogin(client);
    });
    // Later errors (and repeats) surface as a closed link.
    client.on("error", (e: Error & { level?: string; code?: string }) => {
      if (settled) return;
      settled = true;
      client.end();
      if (refusal) return reject(new ConnectionError(refusal, hop.host, hop.port, false));
      if (e.level === "client-authentication") {
        const methods = [...new Set(tried)].join(", ") || "none";
        return reject(
          new ConnectionError(
            `Cannot log in to ${where}: authentication failed (tried ${methods})`,
            hop.host,
            hop.port,
            false,
          ),
        );
      }
      if ((e as NodeJS.ErrnoException).code === "ENOTFOUND") {
        // No such host: trying again cannot help (EAI_AGAIN, a DNS server's hiccup, is retried).
        return reject(
          new ConnectionError(
            `Cannot connect to ${where}: the host name "${hop.host}" does not resolve (ENOTFOUND); check hostname`,
            hop.host,
            hop.port,
            false,
            { cause: e },
          ),
        );
      }
      reject(
        new ConnectionError(
          `Cannot connect to ${where}: ${e.code ?? ""}${e.code ? " " : ""}${e.message}`,
          hop.host,
          hop.port,
          true,
          { cause: e },
        ),
      );
    });
    client.connect(config);
  });
}

/** Runs a ProxyCommand (`sh -c`, with `%h`, `%p`, `%r`, `%%` expanded) as the first hop's socket. */
function proxySocket(hop: Hop) {
  const command = hop.proxyCommand!.replace(
    /%([hpr%])/g,
    (_, k: string) =>
      k === "h" ? hop.host : k === "p" ? String(hop.port) : k === "r" ? hop.username : "%",
  );
  const child = spawn("sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-500)));
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  // The SSH client reports the closed link; `failed` says why.
  for (const stream of [sock, child.stdin, child.stdout]) stream.on("error", () => {});
  const failed = new Promise<ConnectionError | undefined>((resolve) => {
    child.on("error", (e) =>
      resolve(
        new ConnectionError(
          `Cannot run ProxyCommand ${JSON.stringify(command)}: ${e.message}`,
          hop.host,
          hop.port,
          false,
        ),
      ));
    child.on("exit", (code) =>
      resolve(
        code
          ? new ConnectionError(
            `ProxyCommand ${JSON.stringify(command)} exited with code ${code}: ${stderr.trim()}`,
            hop.host,
            hop.port,
            true,
          )
          : undefined,
      ));
  });
  return { sock, failed, kill: () => child.kill() };
}

/** Logs in to the last hop, through the others (ProxyJump), and disables Nagle on the socket. */
export async function login(hops: readonly Hop[], settings: LoginSettings, secrets: Secrets) {
  const clients: ClientType[] = [];
  let killProxy = () => {};
  const endAll = () => {
    clients.forEach((c) => c.end());
    killProxy();
  };
  try {
    const proxy = hops[0].proxyCommand ? proxySocket(hops[0]) : undefined;
    if (proxy) killProxy = proxy.kill;
    let sock: Duplex | undefined = proxy?.sock;
    for (const [i, hop] of hops.entries()) {
      const client = await connectOne(hop, settings, secrets, sock).catch(async (e) => {
        // A proxy that died explains the lost link better than the SSH client can.
        const why = i === 0 && proxy
          ? await Promise.race([proxy.failed, new Promise((r) => setTimeout(r, 500))])
          : undefined;
        throw why ?? e;
      });
      clients.push(client);
      // Without this every SFTP round trip costs ~44 ms under Deno.
      if (i === 0) client.setNoDelay(true);
      if (i < hops.length - 1) {
        const nextHop = hops[i + 1];
        sock = await new Promise<Duplex>((ok, fail) =>
          client.forwardOut("127.0.0.1", 0, nextHop.host, nextHop.port, (err, stream) =>
            err
              ? fail(
                new ConnectionError(
                  `Cannot reach ${nextHop.host}:${nextHop.port} through ${hop.host}:${hop.port}: ${err.message}`,
                  nextHop.host,
                  nextHop.port,
                  true,
                ),
              )
              : ok(stream))
        );
      }
    }
  } catch (e) {
    endAll();
    throw e;
  }
  const client = clients[clients.length - 1];
  const link: Link = {
    client,
    dead: false,
    closed: new Promise<void>((done) => {
      const down = () => {
        link.dead = true;
        endAll();
        done();
      };
      for (const c of clients) c.once("close", down);
    }),
    end: endAll,
  };
  return link;
}
