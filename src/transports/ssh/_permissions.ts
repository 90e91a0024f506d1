import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import type { PermissionNeeds } from "../../plan/permissions.ts";
import type { Hop } from "./_hops.ts";
import type { LoginSettings } from "./_login.ts";

/** What the ssh transport resolved, as far as its permissions depend on it. */
export interface SshPermissionInput {
  /** Jump hosts first, the login node last. */
  readonly hops: readonly Hop[];
  readonly login: LoginSettings;
  /** `SshOptions.configFile`. */
  readonly configFile: string | false | undefined;
  /** `SshOptions.agent`: undefined means SSH_AUTH_SOCK is read. */
  readonly agentOption: string | boolean | undefined;
  /** True when a login name came from `os.userInfo()` or an ssh config was read (ssh-config asks it). */
  readonly asksUserInfo: boolean;
}

const home = (path: string) => resolve(path.replace(/^~(?=$|\/)/, homedir()));

/**
 * The Deno permissions of an ssh run on this machine. Every command runs remotely, so none of
 * the scheduler's; only the first hop is dialled here (later hops are reached through it).
 */
export function sshPermissions(input: SshPermissionInput): PermissionNeeds {
  const { hops, login } = input;
  const first = hops[0];
  const keys = [
    ...login.keyFilenames,
    ...hops.flatMap((h) => h.identityFiles),
    ...(login.lookForKeys ? ["id_ed25519", "id_ecdsa", "id_rsa"].map((n) => `~/.ssh/${n}`) : []),
  ].map(home);
  const config = input.configFile === false ? [] : [home(input.configFile ?? "~/.ssh/config")];
  const knownHosts = home(login.knownHosts);
  const agent = login.agent === undefined ? [] : [login.agent];
  return {
    // Deno 2.9 asks net access for a unix socket too (`unix:/path`), besides read and write.
    net: [
      `${first.host.includes(":") ? `[${first.host}]` : first.host}:${first.port}`,
      ...agent.map((path) => `unix:${path}`),
    ],
    read: [...config, knownHosts, "/etc/ssh/ssh_known_hosts", ...keys, ...agent],
    // accept-new appends to known_hosts after creating its directory if needed.
    write: [...(login.hostKeyPolicy === "accept-new" ? [dirname(knownHosts)] : []), ...agent],
    env: input.agentOption === undefined ? ["SSH_AUTH_SOCK"] : [],
    sys: ["homedir", ...(input.asksUserInfo ? ["uid", "gid", "userInfo"] : [])],
  };
}
