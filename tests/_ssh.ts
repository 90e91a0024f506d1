import { existsSync, readFileSync } from "node:fs";
import { ssh, type SshOptions, type Transport } from "../mod.ts";

/** What scripts/start_sshd.sh wrote about its test servers. */
export interface SshEnv {
  readonly host: string;
  readonly ports: { readonly target: number; readonly jump: number; readonly totp: number };
  readonly users: Record<string, { uid: number; home: string; password: string | null }>;
  readonly keys: {
    readonly ed25519: string;
    readonly rsa: string;
    readonly ed25519Pass: string;
    readonly passphrase: string;
  };
  readonly knownHosts: string;
  readonly sshConfig: string;
  readonly hostKeys: Record<string, string[]>;
  readonly totp: { user: string; password: string; secret: string };
  readonly logs: Record<string, string>;
}

const ENV_FILE = `${Deno.env.get("DPD_SSHD_DIR") ?? "/var/tmp/dpd-sshd"}/env.json`;

/** The test servers' description, or undefined (skip) when they are not running. */
export function sshEnv(): SshEnv | undefined {
  const up = existsSync(ENV_FILE) &&
    (() => {
      const env = JSON.parse(readFileSync(ENV_FILE, "utf8")) as SshEnv;
      const pid = Number(readFileSync(ENV_FILE.replace("env.json", "target/sshd.pid"), "utf8"));
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
      return stat && !/^\d+ \(.*\) Z/.test(stat) ? env : undefined;
    })();
  if (up) return up;
  if (Deno.env.get("DPD_REQUIRE_SSH") === "1") {
    throw new Error(
      "DPD_REQUIRE_SSH=1 but the test sshd is not running: run scripts/start_sshd.sh",
    );
  }
  console.warn("Skipping SSH integration tests: no test sshd (run scripts/start_sshd.sh)");
  return undefined;
}

/** An ssh transport to the test target as hpcuser with the ed25519 key, isolated from ~/.ssh. */
export function testSsh(
  env: SshEnv,
  remoteRoot: string,
  extra: Partial<SshOptions> = {},
): Transport {
  return ssh({
    hostname: env.host,
    port: env.ports.target,
    username: "hpcuser",
    remoteRoot,
    keyFilename: env.keys.ed25519,
    knownHosts: env.knownHosts,
    lookForKeys: false,
    agent: false,
    configFile: false,
    ...extra,
  });
}

/** A directory both this process and hpcuser's jobs can write. */
export async function sharedDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  await Deno.chmod(dir, 0o777);
  return dir;
}

/** OpenSSH client arguments that log in to the test target as hpcuser (for floors and clean-up). */
export function opensshArgs(env: SshEnv): string[] {
  return [
    "-p",
    String(env.ports.target),
    "-i",
    env.keys.ed25519,
    "-o",
    `UserKnownHostsFile=${env.knownHosts}`,
    "-o",
    "BatchMode=yes",
    `hpcuser@${env.host}`,
  ];
}
