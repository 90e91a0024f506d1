import assert from "node:assert/strict";
import { homedir } from "node:os";
import {
  dispatch,
  lazyLocal,
  local,
  permissions,
  shell,
  slurm,
  ssh,
  type Target,
  task,
  type Transport,
} from "../../mod.ts";
import { mergeNeeds } from "../plan/permissions.ts";

const builder = (target: Target) =>
  dispatch({ workBase: "work" }).on(target).tasks(task({ command: "true", taskWorkPath: "t0" }));

Deno.test("shell(lazyLocal()): the work base, bash and ps, the whole environment, the hostname", () => {
  const b = builder(shell(lazyLocal()));
  const p = permissions(b.toPlan(), b.target);
  assert.deepEqual({ ...p }, {
    kind: "permissions",
    read: ["work"],
    write: ["work"],
    run: ["bash", "ps"],
    net: [],
    env: true,
    sys: ["hostname"],
    flags: [
      "--allow-read=work",
      "--allow-write=work",
      "--allow-run=bash,ps",
      "--allow-env",
      "--allow-sys=hostname",
    ],
  });
  assert.deepEqual(b.permissions(), p, "the builder's method says the same");
  assert.deepEqual(JSON.parse(JSON.stringify(p)), { ...p }, "JSON-safe");
  assert.ok(Object.isFrozen(p));
});

Deno.test("slurm(local({ remoteRoot })): the remote root too; bash and scancel, not sbatch", () => {
  // resources() reads the template; the plan keeps its path for the permissions.
  Deno.writeTextFileSync("header.tpl", "#!/bin/bash\n");
  const b = builder(slurm(local({ remoteRoot: "/scratch/runs" })))
    .with({ groupSize: 1, strategy: { customizedScriptHeaderTemplateFile: "header.tpl" } });
  const p = b.permissions();
  assert.deepEqual(p.read, ["work", "header.tpl", "/scratch/runs"]);
  assert.deepEqual(p.write, ["work", "/scratch/runs"]);
  assert.deepEqual(p.run, ["bash", "scancel"]);
  assert.equal(p.env, true);
  assert.equal(p.flags[2], "--allow-run=bash,scancel");
  Deno.removeSync("header.tpl");
});

Deno.test("local({ symlink: true }): Deno makes symlinks only with unscoped read and write", () => {
  const p = builder(shell(local({ remoteRoot: "/scratch/runs", symlink: true }))).permissions();
  assert.equal(p.read, true);
  assert.equal(p.write, true);
  assert.deepEqual(p.flags.slice(0, 2), ["--allow-read", "--allow-write"]);
});

Deno.test("ssh: only the first hop is dialled; the ssh files it reads; no local programs", () => {
  const target = slurm(ssh({
    hostname: "login.hpc",
    port: 2222,
    username: "me",
    remoteRoot: "/scratch/me",
    proxyJump: "me@bastion.example.org:2201",
    keyFilename: "/keys/id_hpc",
    knownHosts: "/keys/known_hosts",
    lookForKeys: false,
    agent: false,
    configFile: false,
  }));
  const p = builder(target).permissions();
  assert.deepEqual(p.net, ["bastion.example.org:2201"]);
  assert.deepEqual(p.run, []);
  assert.deepEqual(p.read, [
    "work",
    "/keys/known_hosts",
    "/etc/ssh/ssh_known_hosts",
    "/keys/id_hpc",
  ]);
  assert.deepEqual(p.write, ["work"]);
  assert.deepEqual(p.env, ["TINYGLOBBY_DEBUG"]);
  assert.deepEqual(p.sys, ["hostname", "homedir"]);
  assert.deepEqual(p.flags, [
    "--allow-read=work,/keys/known_hosts,/etc/ssh/ssh_known_hosts,/keys/id_hpc",
    "--allow-write=work",
    "--allow-net=bastion.example.org:2201",
    "--allow-env=TINYGLOBBY_DEBUG",
    "--allow-sys=hostname,homedir",
  ]);
});

Deno.test("ssh defaults: ~/.ssh keys, SSH_AUTH_SOCK, the agent socket, userInfo, accept-new", () => {
  const p = builder(shell(ssh({
    hostname: "::1",
    remoteRoot: "/r",
    agent: "/run/agent.sock",
    hostKeyPolicy: "accept-new",
    knownHosts: "/keys/known_hosts",
    configFile: false,
  }))).permissions();
  const home = homedir();
  assert.deepEqual(p.net, ["[::1]:22", "unix:/run/agent.sock"]);
  assert.deepEqual(p.read, [
    "work",
    "/keys/known_hosts",
    "/etc/ssh/ssh_known_hosts",
    `${home}/.ssh/id_ed25519`,
    `${home}/.ssh/id_ecdsa`,
    `${home}/.ssh/id_rsa`,
    "/run/agent.sock",
  ]);
  assert.deepEqual(p.write, ["work", "/keys", "/run/agent.sock"]);
  assert.deepEqual(p.env, ["TINYGLOBBY_DEBUG"], "an explicit agent: SSH_AUTH_SOCK is not read");
  assert.deepEqual(p.sys, ["hostname", "homedir", "uid", "gid", "userInfo"]);
  const viaEnv = builder(
    shell(ssh({ hostname: "h", username: "u", remoteRoot: "/r", configFile: false })),
  )
    .permissions();
  assert.deepEqual(viaEnv.env, ["TINYGLOBBY_DEBUG", "SSH_AUTH_SOCK"]);
  assert.deepEqual(viaEnv.sys, ["hostname", "homedir"], "a login name given: no userInfo");
});

Deno.test("a transport without permissions() runs the scheduler's commands here", () => {
  const { permissions: _, ...plain } = lazyLocal();
  const p = builder(shell(plain as Transport)).permissions();
  assert.deepEqual(p.run, ["bash", "ps"]);
  assert.deepEqual(p.env, ["TINYGLOBBY_DEBUG"]);
});

Deno.test("mergeNeeds: true wins, lists keep first-seen order without repeats", () => {
  assert.deepEqual(
    mergeNeeds({ read: ["a", "b"], env: ["X"] }, undefined, { read: ["b", "c"], env: true }),
    { read: ["a", "b", "c"], env: true },
  );
});
