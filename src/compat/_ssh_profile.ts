import { ssh, type SshOptions } from "../transports/ssh/ssh.ts";
import type { Transport } from "../transports/transport.ts";
import { camel, type Json, object, unknownKeys } from "./_keys.ts";
import type { LoadOptions } from "./load.ts";

/** dpdispatcher's SSH `remote_profile` keys, plus this version's host-key and jump settings. */
export const SSH_PROFILE: Record<string, "string" | "number" | "boolean" | "strings" | "secret"> = {
  hostname: "string",
  username: "string",
  password: "secret",
  port: "number",
  key_filename: "strings",
  passphrase: "secret",
  timeout: "number",
  totp_secret: "secret",
  tar_compress: "boolean",
  look_for_keys: "boolean",
  execute_command: "string",
  proxy_command: "string",
  proxy_jump: "string",
  known_hosts: "string",
  host_key_policy: "string",
  keepalive: "number",
  agent: "string",
  config_file: "string",
};

/**
 * Maps an SSHContext machine onto {@linkcode ssh}: `remote_root` and `remote_profile.hostname`
 * are required; secrets are passed through and never echoed in errors.
 */
export function sshFromProfile(
  remoteRoot: string | null | undefined,
  profile: Json | undefined,
  contextType: string,
  options: LoadOptions,
): Transport {
  if (!remoteRoot) {
    throw new TypeError(
      `Invalid machine.remote_root: ${
        remoteRoot === undefined ? "missing" : `got ${JSON.stringify(remoteRoot)}`
      } (an absolute directory on the remote host is required for ${contextType})`,
    );
  }
  const p = object(profile, "machine.remote_profile");
  unknownKeys(p, Object.keys(SSH_PROFILE), "machine.remote_profile", options);
  if (p.hostname === undefined) {
    throw new TypeError(
      `Invalid machine.remote_profile.hostname: missing (required for ${contextType})`,
    );
  }
  const args: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(SSH_PROFILE)) {
    const value = p[key];
    if (value === undefined || value === null) continue;
    const ok = kind === "secret" || kind === "string"
      ? typeof value === "string"
      : kind === "strings"
      ? typeof value === "string" ||
        (Array.isArray(value) && value.every((v) => typeof v === "string"))
      : kind === "number"
      ? typeof value === "number"
      : typeof value === "boolean";
    if (!ok) {
      const shown = kind === "secret" ? `a ${typeof value}` : JSON.stringify(value);
      const want = kind === "strings"
        ? "a path or a list of paths"
        : `a ${kind === "secret" ? "string" : kind}`;
      throw new TypeError(`Invalid machine.remote_profile.${key}: expected ${want}, got ${shown}`);
    }
    args[camel(key)] = value;
  }
  try {
    return ssh({ ...(args as Omit<SshOptions, "remoteRoot">), remoteRoot } as SshOptions);
  } catch (e) {
    // ssh() names its fields in camelCase; the file has snake_case keys.
    const message = (e as Error).message.replace(
      /^Invalid ssh\.(\w+)/,
      (_, f: string) =>
        f === "remoteRoot"
          ? "Invalid machine.remote_root"
          : `Invalid machine.remote_profile.${f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
    );
    throw new TypeError(message);
  }
}
