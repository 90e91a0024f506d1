import { existsSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { resolve } from "node:path";
import process from "node:process";
import SSHConfig from "npm:ssh-config@^5.0.0";

/** One machine on the way to the cluster: jump hosts first, the login node last. */
export interface Hop {
  /** The name the user wrote (an ~/.ssh/config alias or a host name). */
  readonly alias: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** IdentityFile entries from ~/.ssh/config. */
  readonly identityFiles: readonly string[];
  /** A local command whose stdin/stdout carry the connection (`ProxyCommand`; `%h %p %r`). */
  readonly proxyCommand?: string;
}

/** `~` and `~/...` in the local home. */
export const expandHome = (path: string) => path.replace(/^~(?=$|\/)/, homedir());

/** Reads ~/.ssh/config (or `file`) once; undefined when there is none. */
export function readSshConfig(file: string | false | undefined): SSHConfig | undefined {
  if (file === false) return undefined;
  const path = expandHome(file ?? "~/.ssh/config");
  if (!existsSync(path)) {
    if (file !== undefined) {
      throw new TypeError(`Invalid ssh.configFile: no such file, got ${JSON.stringify(file)}`);
    }
    return undefined;
  }
  return SSHConfig.parse(readFileSync(path, "utf8"));
}

/** Resolves `[user@]host[:port]` (or an alias) through the ssh config, as OpenSSH does. */
export function resolveHop(
  config: SSHConfig | undefined,
  spec: { host: string; port?: number; username?: string },
): Hop & { proxyJump?: string; knownHosts?: string } {
  const c = (config?.compute(spec.host, { ignoreCase: true, matchExec: false }) ?? {}) as Record<
    string,
    string | string[] | undefined
  >;
  const one = (key: string) => {
    const v = c[key];
    return Array.isArray(v) ? v[0] : v;
  };
  const port = spec.port ?? (one("port") ? Number(one("port")) : 22);
  const ids = c["identityfile"];
  const jump = one("proxyjump");
  const command = c["proxycommand"];
  const proxyCommand = Array.isArray(command) ? command.join(" ") : command;
  return {
    alias: spec.host,
    host: one("hostname")?.replaceAll("%h", spec.host) ?? spec.host,
    port,
    username: spec.username ?? one("user") ?? userInfo().username,
    identityFiles: (Array.isArray(ids) ? ids : ids ? [ids] : []).map(expandHome),
    proxyJump: jump && jump.toLowerCase() !== "none" ? jump : undefined,
    proxyCommand: proxyCommand && proxyCommand.toLowerCase() !== "none" ? proxyCommand : undefined,
    knownHosts: one("userknownhostsfile")?.split(/\s+/)[0],
  };
}

/** Parses a ProxyJump list, `user@host:port,host2`, resolving each through the ssh config. */
export function parseJumps(config: SSHConfig | undefined, list: string): Hop[] {
  return list.split(",").map((raw) => {
    const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(raw.trim());
    if (!m) {
      throw new TypeError(
        `Invalid ssh.proxyJump: expected [user@]host[:port][,...], got ${JSON.stringify(list)}`,
      );
    }
    return resolveHop(config, {
      host: m[2].replace(/^\[(.*)\]$/, "$1"),
      port: m[3] ? Number(m[3]) : undefined,
      username: m[1],
    });
  });
}

/** Where the user keeps known hosts, from the options, the ssh config or the default. */
export function knownHostsPath(explicit: string | undefined, fromConfig: string | undefined) {
  return resolve(expandHome(explicit ?? fromConfig ?? "~/.ssh/known_hosts"));
}

/** The agent socket to use: an explicit path, none (`false`), or SSH_AUTH_SOCK. */
export function agentSocket(agent: string | boolean | undefined): string | undefined {
  if (agent === false) return undefined;
  if (typeof agent === "string") return agent;
  return process.env.SSH_AUTH_SOCK || undefined;
}
