import type { FailureClass } from "../executor/failure.ts";
import type { RunReport } from "./report.ts";

/** Something that happened during a run. The library never prints; subscribe and render. */
export type RunEvent =
  | {
    readonly type: "run:start";
    readonly runId: string;
    readonly jobs: number;
    readonly tasks: number;
    /** True when the journal already held records: the run re-attached after a stop or crash. */
    readonly resumed: boolean;
    readonly journal: string;
  }
  | {
    readonly type: "stage:done";
    readonly files: number;
    readonly bytes: number;
    readonly scripts: number;
  }
  | {
    readonly type: "job:submitting";
    readonly job: string;
    readonly name: string;
    readonly attempt: number;
  }
  | {
    readonly type: "job:submitted";
    readonly job: string;
    readonly name: string;
    readonly attempt: number;
    readonly id: string;
    /** True when the job was found already launched by an earlier runner. */
    readonly recovered: boolean;
  }
  | {
    readonly type: "job:running";
    readonly job: string;
    readonly name: string;
    readonly id: string;
  }
  | {
    readonly type: "job:pending";
    readonly job: string;
    readonly name: string;
    /** Why the scheduler keeps it waiting, in words ("waiting for resources"). */
    readonly reason: string;
  }
  | {
    readonly type: "job:ended";
    readonly job: string;
    readonly name: string;
    readonly attempt: number;
    readonly ok: boolean;
    readonly exitCodes: Readonly<Record<string, number | null>>;
    /** How it failed: task exit, time limit, memory limit, cancel, node failure, ... */
    readonly failure?: FailureClass;
    readonly reason?: string;
  }
  | {
    readonly type: "job:retry";
    readonly job: string;
    readonly name: string;
    readonly attempt: number;
    /** Seconds until the resubmission. */
    readonly delay: number;
    readonly reason?: string;
  }
  | {
    readonly type: "job:collected";
    readonly job: string;
    readonly name: string;
    readonly tasks: number;
    readonly missing: Readonly<Record<string, readonly string[]>>;
  }
  | {
    readonly type: "job:final";
    readonly job: string;
    readonly name: string;
    readonly state: "finished" | "failed" | "dropped";
    readonly reason?: string;
  }
  | { readonly type: "poll"; readonly live: number; readonly interval: number }
  | {
    readonly type: "warning";
    readonly message: string;
    /** The error behind it, with its data (argv, exit code, stderr) and `cause`, when there is one. */
    readonly error?: Error;
  }
  | { readonly type: "run:end"; readonly report: RunReport };

/** Buffers events for async iterators that subscribed; ends when the run ends. */
export class EventChannel {
  #subscribers = new Set<{ queue: RunEvent[]; wake?: () => void; done: boolean }>();
  #closed = false;

  /** Delivers one event to every subscriber. */
  push(event: RunEvent): void {
    for (const sub of this.#subscribers) {
      sub.queue.push(event);
      sub.wake?.();
    }
  }

  /** Ends every iteration once its queue drains. */
  close(): void {
    this.#closed = true;
    for (const sub of this.#subscribers) sub.wake?.();
  }

  /** Iterates the events pushed from now on. */
  async *iterate(): AsyncGenerator<RunEvent> {
    const sub: { queue: RunEvent[]; wake?: () => void; done: boolean } = { queue: [], done: false };
    this.#subscribers.add(sub);
    try {
      while (true) {
        if (sub.queue.length > 0) {
          yield sub.queue.shift()!;
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => (sub.wake = resolve));
        sub.wake = undefined;
      }
    } finally {
      this.#subscribers.delete(sub);
    }
  }
}
