/**
 * Test helpers for code built on dpdispatcher, and for new transports: an in-memory
 * {@linkcode fakeTransport} that records every call and can simulate dropped links, a
 * {@linkcode fakeClock} that sleeps without waiting, and {@linkcode testTransport}, the
 * conformance steps every `Transport` must pass. Runs under Deno and Node.
 *
 * @example
 * ```ts
 * import { fakeTransport, testTransport } from "@deepmodeling/dpdispatcher/testing";
 *
 * Deno.test("fake transport", async (t) => {
 *   const fake = fakeTransport({ exec: () => ({ exitCode: 0, stdout: "ok\n", stderr: "" }) });
 *   const c = await fake.connect();
 *   console.log((await c.exec(["squeue"])).stdout, fake.calls); // "ok\n" [{ argv: ["squeue"] }]
 *   await c.close();
 *
 *   const workBase = await Deno.makeTempDir();
 *   await testTransport(t, () => fakeTransport(), { workBase, exec: false });
 * });
 * ```
 *
 * @module
 */

export { type Clock, type FakeClock, fakeClock } from "./fake_clock.ts";
export {
  type FakeCall,
  type FakeExecContext,
  type FakeExecHandler,
  type FakeOperation,
  type FakeTransfer,
  type FakeTransport,
  fakeTransport,
  type FakeTransportOptions,
} from "./fake_transport.ts";
export {
  type StepContext,
  testTransport,
  type TransportFactory,
  type TransportSuiteOptions,
} from "./transport_suite.ts";
export {
  type FakeOutcome,
  type FakeSbatch,
  type FakeSlurm,
  fakeSlurm,
  type FakeSlurmJob,
  type FakeSlurmOptions,
} from "./fake_slurm.ts";
export {
  type ArrayFixture,
  type Captured,
  type HeaderFixture,
  type SchedulerFixtures,
  type SubmitExpectation,
  testScheduler,
} from "./scheduler_suite.ts";
export { type ExecutorSuiteOptions, type TargetFactory, testExecutor } from "./executor_suite.ts";
