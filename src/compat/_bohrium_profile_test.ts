import assert from "node:assert/strict";
import { bohriumFromProfile, bohriumKind, bohriumProfile } from "./_bohrium_profile.ts";

// dpdispatcher e23bb8c: tests/test_class_machine_dispatch.py `test_lebesgue` and
// tests/jsons/machine_openapi.json (their remote_profile dicts, verbatim).
const LEBESGUE = {
  email: "114@514.com",
  password: "114514",
  program_id: 114514,
  input_data: {},
};
const OPENAPI = {
  project_id: 154,
  command: "lmp -i in.lammps -v restart 0",
  job_name: "dpgen_lammps_job",
  machine_type: "c4_m15_1 * NVIDIA T4",
  image_address: "registry.dp.tech/dev/test/deepmd-kit:2.2.1-cuda11.6",
};

Deno.test("every Bohrium spelling of batch_type and context_type is known, any case, Context optional", () => {
  for (
    const t of [
      "Bohrium",
      "bohrium",
      "DpCloudServer",
      "dpcloudservercontext",
      "Lebesgue",
      "LebesgueContext",
    ]
  ) {
    assert.equal(bohriumKind(t), "legacy", t);
  }
  for (const t of ["OpenAPI", "OpenAPIContext", "openapi"]) {
    assert.equal(bohriumKind(t), "openapi", t);
  }
  assert.equal(bohriumKind("Slurm"), undefined);
});

Deno.test("a legacy profile maps with dpdispatcher's defaults; job_type is required", () => {
  const profile = {
    ...LEBESGUE,
    input_data: { job_type: "indicate", disk_size: 20, scass_type: "c2_m4_cpu" },
  };
  const m = bohriumProfile("Lebesgue", "LebesgueContext", profile, {});
  assert.equal(m.api, "legacy");
  assert.deepEqual(m.options, {
    email: "114@514.com",
    phone: undefined,
    password: "114514",
    programId: 114514,
    inputData: { job_type: "indicate", disk_size: 20, scass_type: "c2_m4_cpu" },
    ignoreExitCode: true,
    keepBackup: true,
  });
  assert.throws(
    () => bohriumProfile("Lebesgue", "LebesgueContext", LEBESGUE, {}),
    /^TypeError: Invalid machine\.remote_profile\.input_data\.job_type: missing \(required for Lebesgue\)$/,
  );
  const alias = bohriumProfile("Bohrium", "Bohrium", {
    ...profile,
    program_id: undefined,
    project_id: 7,
  }, {});
  assert.equal(alias.api === "legacy" && alias.options.programId, 7);
});

Deno.test("legacy errors name the JSON key and never echo the password", () => {
  const base = { ...LEBESGUE, input_data: { job_type: "container" } };
  assert.throws(
    () => bohriumProfile("Bohrium", "Bohrium", { ...base, password: 114514 }, {}),
    (e: Error) => {
      assert.equal(
        e.message,
        "Invalid machine.remote_profile.password: expected a string, got a number",
      );
      return true;
    },
  );
  assert.throws(
    () => bohriumProfile("Bohrium", "Bohrium", { ...base, email: undefined }, {}),
    /Invalid machine\.remote_profile\.email: missing/,
  );
  assert.throws(
    () => bohriumProfile("Bohrium", "Bohrium", { ...base, program_id: "154" }, {}),
    /Invalid machine\.remote_profile\.program_id: expected an integer, got "154"/,
  );
  assert.throws(
    () => bohriumProfile("Bohrium", "OpenAPI", base, {}),
    /Invalid machine\.context_type: expected Bohrium, DpCloudServer or Lebesgue with batch_type "Bohrium", got "OpenAPI"/,
  );
  assert.throws(
    () =>
      bohriumProfile("Bohrium", "Bohrium", {
        ...base,
        input_data: { job_type: "x", api_version: 1 },
      }, {}),
    /api_version: 1 is no longer supported/,
  );
  const warnings: string[] = [];
  bohriumProfile("Bohrium", "Bohrium", { ...base, emial: "x" }, {
    onWarning: (m) => warnings.push(m),
  });
  assert.deepEqual(warnings, ['Unknown key machine.remote_profile.emial (did you mean "email"?)']);
});

Deno.test("an OpenAPI profile maps with its defaults; the access key comes from the profile or the environment", () => {
  const m = bohriumProfile("OpenAPI", "OpenAPIContext", { ...OPENAPI, access_key: "ak-1" }, {});
  assert.deepEqual(m, {
    api: "openapi",
    options: {
      accessKey: "ak-1",
      projectId: 154,
      appKey: undefined,
      machineType: "c4_m15_1 * NVIDIA T4",
      platform: "ali",
      imageAddress: "registry.dp.tech/dev/test/deepmd-kit:2.2.1-cuda11.6",
      ignoreExitCode: true,
      keepBackup: true,
    },
  });
  const saved = Deno.env.get("BOHRIUM_ACCESS_KEY");
  Deno.env.delete("BOHRIUM_ACCESS_KEY");
  Deno.env.delete("ACCESS_KEY");
  try {
    assert.throws(
      () => bohriumProfile("OpenAPI", "OpenAPI", OPENAPI, {}),
      /remote_profile\.access_key: missing/,
    );
    Deno.env.set("BOHRIUM_ACCESS_KEY", "ak-env-secret");
    const target = bohriumFromProfile("OpenAPI", "OpenAPI", OPENAPI, {});
    assert.equal(target.executor.record.scheduler, "bohriumOpenApi");
    assert.ok(!JSON.stringify(target.executor.record).includes("ak-env-secret"));
  } finally {
    if (saved === undefined) Deno.env.delete("BOHRIUM_ACCESS_KEY");
    else Deno.env.set("BOHRIUM_ACCESS_KEY", saved);
  }
});
