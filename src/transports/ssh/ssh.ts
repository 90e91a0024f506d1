import { isAbsolute } from "node:path";
import type { JsonValue } from "../../plan/resources.ts";
import type { Transport } from "../transport.ts";
import { SshConnection } from "./_connection.ts";
import { sshPermissions } from "./_permissions.ts";
import { agentSocket, knownHostsPath, parseJumps, readSshConfig, resolveHop } from "./_hops.ts";

/**
 * Options of {@linkcode ssh}, mirroring dpdispatcher's `remote_profile` (in camelCase) plus
 * host-key, agent, jump-host and reconnect settings. Secrets (`password`, `passphrase`,
 * `totpSecret`) stay in memory: they never reach plans, journals, events or errors.
 */
export interface SshOptions {
  /** Host name, IP, or a `Host` alias of ~/.ssh/config. */
  readonly hostname: string;
  /** Directory on the remote host under which each run gets `<runId>/` (`remote_root`): absolute, or `~/...` in the login's home. */
  readonly remoteRoot: string;
  /** Login name. @default the ssh config's `User`, else the local user */
  readonly username?: string;
  /** Port of the SSH server. @default the ssh config's `Port`, else 22 */
  readonly port?: number;
  /** Private key file(s) to offer first (`key_filename`). */
  readonly keyFilename?: string | readonly string[];
  /** Password, for password and keyboard-interactive logins. */
  readonly password?: string;
  /** Passphrase of an encrypted private key. */
  readonly passphrase?: string;
  /** Base32 TOTP secret: answers "Verification code" prompts (`totp_secret`). */
  readonly totpSecret?: string;
  /** Also offer ~/.ssh/id_ed25519, id_ecdsa and id_rsa (`look_for_keys`). @default true */
  readonly lookForKeys?: boolean;
  /** An ssh-agent socket, `false` for none. @default process.env.SSH_AUTH_SOCK */
  readonly agent?: string | boolean;
  /** Seconds to wait for a login (`timeout`). @default 10 */
  readonly timeout?: number;
  /** known_hosts file to check and, with `"accept-new"`, extend. @default ~/.ssh/known_hosts */
  readonly knownHosts?: string;
  /** `"strict"` refuses unknown hosts; `"accept-new"` records them. Changed keys are always refused. @default "strict" */
  readonly hostKeyPolicy?: "strict" | "accept-new";
  /** Jump hosts, `user@host:port,...` (as `ssh -J`). @default the ssh config's `ProxyJump` */
  readonly proxyJump?: string;
  /** A local command carrying the connection, as OpenSSH's `ProxyCommand` (`%h`, `%p`, `%r`). @default the ssh config's `ProxyCommand` */
  readonly proxyCommand?: string;
  /** Gzip the tar streams (`tar_compress`): worth it on slow links, not on fast ones. @default false */
  readonly tarCompress?: boolean;
  /** Seconds between keepalives; a link silent for 3 of them is dropped and reopened. @default 15 */
  readonly keepalive?: number;
  /** A command run after every login (`execute_command`). */
  readonly executeCommand?: string;
  /** An ssh config file, or `false` to read none. @default ~/.ssh/config when it exists */
  readonly configFile?: string | false;
  /** Channels open at once on the one connection. @default 8 */
  readonly maxChannels?: number;
  /** Reconnect tries after a drop before the run stops (a rerun resumes). @default 8 (about 2 min) */
  readonly reconnectAttempts?: number;
  /** Milliseconds an end file may take to appear after its job left the queue (shared filesystems). */
  readonly endFileGraceMs?: number;
}

function fail(field: string, expected: string, value: unknown): never {
  throw new TypeError(`Invalid ssh.${field}: expected ${expected}, got ${JSON.stringify(value)}`);
}

function check(o: SshOptions): void {
  if (typeof o !== "object" || o === null) fail("options", "an object", o);
  if (typeof o.hostname !== "string" || !/^[^\s@]+$/.test(o.hostname)) {
    fail("hostname", "a host name", o.hostname);
  }
  if (
    typeof o.remoteRoot !== "string" || !(isAbsolute(o.remoteRoot) || /^~(\/|$)/.test(o.remoteRoot))
  ) {
    fail("remoteRoot", "an absolute directory on the remote host (or ~/...)", o.remoteRoot);
  }
  const int = (field: keyof SshOptions, min: number, max: number) => {
    const v = o[field];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min || (v as number) > max)) {
      fail(field, `an integer from ${min} to ${max}`, v);
    }
  };
  int("port", 1, 65535);
  int("maxChannels", 2, 1000);
  int("reconnectAttempts", 0, 1000);
  for (const field of ["timeout", "keepalive", "endFileGraceMs"] as const) {
    const v = o[field];
    if (v !== undefined && (typeof v !== "number" || !(v >= 0))) {
      fail(field, "a number of at least 0", v);
    }
  }
  const strings = [
    "username",
    "password",
    "passphrase",
    "totpSecret",
    "knownHosts",
    "proxyJump",
    "proxyCommand",
    "executeCommand",
  ];
  for (const field of strings as (keyof SshOptions)[]) {
    const v = o[field];
    if (v !== undefined && typeof v !== "string") {
      // Never echo a secret's value.
      const shown = ["password", "passphrase", "totpSecret"].includes(field) ? typeof v : v;
      fail(field, "a string", shown);
    }
  }
  const keys = o.keyFilename;
  if (
    keys !== undefined &&
    !(typeof keys === "string" || (Array.isArray(keys) && keys.every((k) => typeof k === "string")))
  ) fail("keyFilename", "a path or a list of paths", keys);
  if (o.hostKeyPolicy !== undefined && !["strict", "accept-new"].includes(o.hostKeyPolicy)) {
    fail("hostKeyPolicy", '"strict" or "accept-new"', o.hostKeyPolicy);
  }
}

/**
 * Runs on a remote host over one SSH connection (ssh2): commands over exec channels, inputs up
 * and results down as single tar streams, small files over SFTP. Host keys are checked against
 * known_hosts; jump hosts, ssh-agent, ~/.ssh/config aliases and TOTP prompts work; a dropped
 * link reconnects and the run goes on.
 *
 * @example
 * ```ts
 * import { dispatch, slurm, ssh } from "@deepmodeling/dpdispatcher";
 *
 * const builder = dispatch({ workBase: "project" }).on(
 *   slurm(ssh({ hostname: "hpc.example.org", username: "me", remoteRoot: "/scratch/me/runs" })),
 * );
 * ```
 */
export function ssh(options: SshOptions): Transport {
  check(options);
  const config = readSshConfig(options.configFile);
  const target = resolveHop(config, {
    host: options.hostname,
    port: options.port,
    username: options.username,
  });
  const jumpList = options.proxyJump ?? target.proxyJump;
  const hops = [...(jumpList ? parseJumps(config, jumpList) : []), target];
  const proxyCommand = options.proxyCommand ?? hops[0].proxyCommand;
  hops[0] = { ...hops[0], proxyCommand };
  const remoteRoot = options.remoteRoot.replace(/\/+$/, "") || "/";
  const keyFilenames = options.keyFilename === undefined
    ? []
    : typeof options.keyFilename === "string"
    ? [options.keyFilename]
    : [...options.keyFilename];
  const login = {
    keyFilenames,
    lookForKeys: options.lookForKeys ?? true,
    agent: agentSocket(options.agent),
    knownHosts: knownHostsPath(options.knownHosts, target.knownHosts),
    hostKeyPolicy: options.hostKeyPolicy ?? "strict",
    timeoutMs: (options.timeout ?? 10) * 1000,
    keepaliveMs: (options.keepalive ?? 15) * 1000,
  } as const;
  const secrets = {
    password: options.password,
    passphrase: options.passphrase,
    totpSecret: options.totpSecret,
  };
  // What a plan records: where and how, never a secret.
  const recorded: Record<string, JsonValue> = {
    hostname: target.host,
    port: target.port,
    username: target.username,
    remoteRoot,
    hops: hops.slice(0, -1).map((h) => `${h.username}@${h.host}:${h.port}`),
    hostKeyPolicy: login.hostKeyPolicy,
    ...(proxyCommand ? { proxyCommand } : {}),
  };
  return Object.freeze({
    name: "ssh",
    host: target.host,
    options: Object.freeze(recorded),
    inPlace: false,
    endFileGraceMs: options.endFileGraceMs,
    runRoot: (_workBase: string, runId: string) => `${remoteRoot}/${runId}`,
    permissions: () =>
      sshPermissions({
        hops,
        login,
        configFile: options.configFile,
        agentOption: options.agent,
        // ssh-config asks os.userInfo(); so does a hop without a login name.
        asksUserInfo: config !== undefined || options.username === undefined ||
          (jumpList?.split(",").some((jump) => !jump.includes("@")) ?? false),
      }),
    connect: (connectOptions?: { onWarning?: (message: string) => void }) =>
      SshConnection.open({
        hops,
        login,
        secrets,
        maxChannels: options.maxChannels ?? 8,
        reconnectAttempts: options.reconnectAttempts ?? 8,
        executeCommand: options.executeCommand,
        tarCompress: options.tarCompress ?? false,
        onWarning: connectOptions?.onWarning,
      }),
  });
}
