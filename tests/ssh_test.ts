import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { type Connection, ConnectionError, ssh } from "../mod.ts";
import { sharedDir, sshEnv, testSsh } from "./_ssh.ts";

const env = sshEnv();
const ignore = env === undefined;
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

async function withConn<T>(t: ReturnType<typeof testSsh>, fn: (c: Connection) => Promise<T>) {
  const c = await t.connect();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

Deno.test({
  name: "ssh exec: exit codes, stdout and stderr apart, quoting kept",
  ignore,
  fn: () =>
    withConn(testSsh(env!, "/tmp/dpd-ssh-exec"), async (c) => {
      const r = await c.exec([
        "sh",
        "-c",
        'printf "%s|" "$@"; echo oops >&2; exit 42',
        "x",
        "a b",
        "it's",
        "ü$HOME",
      ]);
      assert.equal(r.exitCode, 42);
      assert.equal(r.stdout, "a b|it's|ü$HOME|");
      assert.equal(r.stderr, "oops\n");
      assert.equal((await c.exec(["id", "-un"])).stdout.trim(), "hpcuser");
      assert.equal((await c.exec(["cat"], { stdin: "piped\n" })).stdout, "piped\n");
      // Many files in one command (end files of every live job), few over SFTP: same answers.
      const dir = await sharedDir("dpd-ssh-read-");
      const texts = ["a\nb\n", "", "ü 'q' \\$x\n\n", "last"];
      await Promise.all(texts.map((t, i) => Deno.writeTextFile(`${dir}/f${i}`, t)));
      const paths = [0, 9, 1, 2, 8, 3].map((i) => `${dir}/f${i}`);
      const want = [texts[0], undefined, texts[1], texts[2], undefined, texts[3]];
      assert.deepEqual(await c.readFiles(paths), want);
      assert.deepEqual(await c.readFiles(paths.slice(0, 3)), want.slice(0, 3));
      await Deno.remove(dir, { recursive: true });
    }),
});

Deno.test({
  name: "ssh logins: ed25519, RSA, passphrase key, password, agent, TOTP",
  ignore,
  fn: async () => {
    const e = env!;
    const who = (extra: Parameters<typeof testSsh>[2]) =>
      withConn(
        testSsh(e, "/tmp/x", extra),
        async (c) => (await c.exec(["id", "-un"])).stdout.trim(),
      );
    assert.equal(await who({ keyFilename: e.keys.rsa }), "hpcuser");
    assert.equal(
      await who({ keyFilename: e.keys.ed25519Pass, passphrase: e.keys.passphrase }),
      "hpcuser",
    );
    await assert.rejects(
      who({ keyFilename: e.keys.ed25519Pass, passphrase: "wrong" }),
      /ssh\.keyFilename.*id_ed25519_pass.*wrong passphrase/,
    );
    assert.equal(await who({ keyFilename: [], password: e.users.hpcuser.password! }), "hpcuser");
    await assert.rejects(
      who({ keyFilename: [], password: "not-it" }),
      (err: Error) =>
        err instanceof ConnectionError && !err.retryable &&
        /hpcuser@127\.0\.0\.1:2222: authentication failed/.test(err.message) &&
        !err.message.includes("not-it"),
    );
    // ssh-agent holding the ed25519 key.
    const agent = execFileSync("ssh-agent", ["-s"], { encoding: "utf8" });
    const sock = /SSH_AUTH_SOCK=([^;]+)/.exec(agent)![1];
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent)![1]);
    try {
      execFileSync("ssh-add", [e.keys.ed25519], { env: { SSH_AUTH_SOCK: sock }, stdio: "pipe" });
      assert.equal(await who({ keyFilename: [], agent: sock }), "hpcuser");
    } finally {
      Deno.kill(agentPid, "SIGTERM");
    }
    // Keyboard-interactive: "Password: " then "Verification code: " from pam_google_authenticator.
    const totpUser = await withConn(
      ssh({
        hostname: e.host,
        port: e.ports.totp,
        username: e.totp.user,
        remoteRoot: "/tmp/x",
        password: e.totp.password,
        totpSecret: e.totp.secret,
        knownHosts: e.knownHosts,
        lookForKeys: false,
        agent: false,
        configFile: false,
      }),
      async (c) => (await c.exec(["id", "-un"])).stdout.trim(),
    );
    assert.equal(totpUser, e.totp.user);
  },
});

Deno.test({
  name: "ssh host keys: unknown refused, accept-new records, changed refused with fingerprint",
  ignore,
  fn: async () => {
    const e = env!;
    const dir = await Deno.makeTempDir();
    const file = `${dir}/known_hosts`;
    await assert.rejects(
      testSsh(e, "/tmp/x", { knownHosts: file }).connect(),
      /Host 127\.0\.0\.1:2222 is not in .*known_hosts \(its key is SHA256:\S+\).*accept-new/,
    );
    await withConn(
      testSsh(e, "/tmp/x", { knownHosts: file, hostKeyPolicy: "accept-new" }),
      async (c) => {
        assert.equal((await c.exec(["true"])).exitCode, 0);
      },
    );
    assert.match(await Deno.readTextFile(file), /^\[127\.0\.0\.1\]:2222 ssh-\S+ \S+\n$/);
    await withConn(testSsh(e, "/tmp/x", { knownHosts: file }), async (c) => {
      assert.equal((await c.exec(["true"])).exitCode, 0);
    });
    // The jump server's ed25519 key written down for the target: a changed key.
    const jumpKey = (await Deno.readTextFile(e.hostKeys.jump[0])).split(" ").slice(0, 2).join(" ");
    await Deno.writeTextFile(file, `[127.0.0.1]:2222 ${jumpKey}\n`);
    for (const policy of ["strict", "accept-new"] as const) {
      await assert.rejects(
        testSsh(e, "/tmp/x", { knownHosts: file, hostKeyPolicy: policy }).connect(),
        (err: Error) =>
          err instanceof ConnectionError && !err.retryable &&
          /Host key of 127\.0\.0\.1:2222 has changed: it is now SHA256:\S+, .* expects SHA256:\S+/
            .test(err.message),
      );
    }
  },
});

Deno.test({
  name: "ssh through a jump host (ProxyJump and ~/.ssh/config aliases)",
  ignore,
  fn: async () => {
    const e = env!;
    const viaAlias = ssh({
      hostname: "dpd-via-jump",
      remoteRoot: "/tmp/x",
      configFile: e.sshConfig,
      lookForKeys: false,
      agent: false,
    });
    assert.deepEqual(viaAlias.options.hops, ["hpcuser@127.0.0.1:2223"]);
    await withConn(viaAlias, async (c) => assert.equal((await c.exec(["true"])).exitCode, 0));
    // The jump really is on the path: with no server at the jump port, the login fails there.
    await assert.rejects(
      testSsh(e, "/tmp/x", { proxyJump: "hpcuser@127.0.0.1:2299", reconnectAttempts: 0 }).connect(),
      /Cannot connect to hpcuser@127\.0\.0\.1:2299: ECONNREFUSED/,
    );
  },
});

Deno.test({
  name:
    "ssh transfers: 2,000 small files and 100 MB as tar streams, hashes equal, rerun sends nothing",
  ignore,
  fn: async () => {
    const e = env!;
    const local = await Deno.makeTempDir();
    const remote = await sharedDir("dpd-ssh-remote-");
    const back = await Deno.makeTempDir();
    for (let d = 0; d < 20; d++) {
      await Deno.mkdir(`${local}/many/d ${d}`, { recursive: true });
      for (let f = 0; f < 100; f++) {
        await Deno.writeFile(`${local}/many/d ${d}/f'${f}ü.txt`, randomBytes(64 + f));
      }
    }
    await Deno.writeFile(`${local}/big.bin`, randomBytes(100 * 1024 * 1024));
    await withConn(testSsh(e, remote), async (c) => {
      const up = await c.upload(local, `${remote}/run`, ["many", "big.bin", "absent.txt"]);
      assert.equal(up.files, 2001);
      assert.deepEqual(up.missing, ["absent.txt"]);
      assert.equal(sha(`${remote}/run/big.bin`), sha(`${local}/big.bin`));
      assert.equal(
        sha(`${remote}/run/many/d 7/f'42ü.txt`),
        sha(`${local}/many/d 7/f'42ü.txt`),
      );
      const again = await c.upload(local, `${remote}/run`, ["many", "big.bin"]);
      assert.deepEqual(again, { files: 0, bytes: 0, missing: [] });
      const down = await c.download(`${remote}/run`, back, ["many/d 1*/*.txt", "big.bin", "no*"]);
      assert.equal(down.files, 1 + 11 * 100); // d 1, d 10..d 19
      assert.deepEqual(down.missing, ["no*"]);
      assert.equal(sha(`${back}/big.bin`), sha(`${local}/big.bin`));
      assert.equal(sha(`${back}/many/d 13/f'99ü.txt`), sha(`${local}/many/d 13/f'99ü.txt`));
    });
    await Deno.remove(local, { recursive: true });
    await Deno.remove(remote, { recursive: true });
    await Deno.remove(back, { recursive: true });
  },
});

Deno.test({
  name: "ssh tarCompress: gzip both ways, symlinks followed, empty matches fine",
  ignore,
  fn: async () => {
    const e = env!;
    const local = await Deno.makeTempDir();
    const remote = await sharedDir("dpd-ssh-gz-");
    const back = await Deno.makeTempDir();
    await Deno.mkdir(`${local}/d`);
    await Deno.writeTextFile(`${local}/d/a.txt`, "alpha\n".repeat(1000));
    await Deno.writeTextFile(`${local}/target.txt`, "linked\n");
    await Deno.symlink(`${local}/target.txt`, `${local}/d/link.txt`);
    await withConn(testSsh(e, remote, { tarCompress: true }), async (c) => {
      const up = await c.upload(local, `${remote}/run`, ["d"]);
      assert.equal(up.files, 2);
      assert.equal(await Deno.readTextFile(`${remote}/run/d/link.txt`), "linked\n");
      assert.equal((await Deno.lstat(`${remote}/run/d/link.txt`)).isSymlink, false);
      const down = await c.download(`${remote}/run`, back, ["d/*.txt"]);
      assert.equal(down.files, 2);
      assert.equal(await Deno.readTextFile(`${back}/d/a.txt`), "alpha\n".repeat(1000));
      assert.deepEqual(await c.download(`${remote}/run`, back, ["none*"]), {
        files: 0,
        bytes: 0,
        missing: ["none*"],
      });
    });
    for (const dir of [local, remote, back]) await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "ssh proxyCommand: the link runs through a local command (OpenSSH -W via the jump host)",
  ignore,
  fn: async () => {
    const e = env!;
    const through = testSsh(e, "/tmp/x", {
      proxyCommand: `ssh -F ${e.sshConfig} -W %h:%p dpd-jump`,
    });
    assert.equal(through.options.proxyCommand, `ssh -F ${e.sshConfig} -W %h:%p dpd-jump`);
    await withConn(
      through,
      async (c) => assert.equal((await c.exec(["id", "-un"])).stdout, "hpcuser\n"),
    );
    await assert.rejects(
      testSsh(e, "/tmp/x", { proxyCommand: "echo nope >&2; exit 7", reconnectAttempts: 0 })
        .connect(),
      /ProxyCommand "echo nope >&2; exit 7" exited with code 7: nope/,
    );
  },
});

Deno.test("ssh to a host name that does not resolve fails at once, naming it, without retries", async () => {
  const warnings: string[] = [];
  const started = Date.now();
  const c = await ssh({ hostname: "no-such-host.invalid", username: "me", remoteRoot: "/tmp/x" })
    .connect({ onWarning: (m: string) => warnings.push(m) }).catch((e) => e);
  const error = c instanceof Error ? c : await c.exec(["true"]).catch((e: Error) => e);
  assert.ok(error instanceof ConnectionError, String(error));
  assert.match(error.message, /host name "no-such-host\.invalid" does not resolve \(ENOTFOUND\)/);
  assert.doesNotMatch(error.message, /rerun to resume/);
  assert.equal(error.retryable, false);
  assert.deepEqual(warnings, [], "no reconnect attempts");
  assert.ok(Date.now() - started < 10_000);
});
