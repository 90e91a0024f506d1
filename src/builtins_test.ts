import assert from "node:assert/strict";
import { BATCH_TYPES, orList, recordedTarget } from "./builtins.ts";

Deno.test("built-ins: every batch type and every recorded scheduler name reopens its target", () => {
  for (const b of Object.values(BATCH_TYPES)) {
    const t = recordedTarget({ scheduler: b.scheduler, transport: "lazyLocal", options: {} });
    assert.equal(t?.executor.record.scheduler, b.scheduler);
  }
  for (const name of ["slurmJobArray", "sgeJobArray", "pbsJobArray", "lsfJobArray"]) {
    const t = recordedTarget({
      scheduler: name,
      transport: "local",
      options: { remoteRoot: "/r" },
    });
    assert.equal(t?.executor.record.scheduler, name);
    assert.equal(t?.executor.runRoot("/w", "abc"), "/r/abc");
  }
  assert.equal(recordedTarget({ scheduler: "slurm", transport: "ssh", options: {} }), undefined);
  assert.equal(
    recordedTarget({ scheduler: "toString", transport: "local", options: {} }),
    undefined,
  );
  assert.equal(orList(["A"]), "A");
  assert.equal(orList(["A", "B", "C"]), "A, B or C");
});
