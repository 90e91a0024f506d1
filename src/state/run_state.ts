import type { FailureClass } from "../executor/failure.ts";

/** One line of a run's journal. Secrets never enter it. */
export type JournalRecord =
  | {
    readonly t: "run";
    readonly runId: string;
    readonly jobs: number;
    readonly tasks: number;
    readonly at: number;
  }
  | {
    readonly t: "staged";
    readonly files: number;
    readonly bytes: number;
    /** Where the run's task directories were staged on the execution side. */
    readonly root?: string;
    readonly at: number;
  }
  | { readonly t: "intent"; readonly job: string; readonly attempt: number; readonly at: number }
  | {
    readonly t: "submitted";
    readonly job: string;
    readonly attempt: number;
    readonly id: string;
    readonly at: number;
  }
  | {
    readonly t: "ended";
    readonly job: string;
    readonly attempt: number;
    readonly ok: boolean;
    /** Exit code per task hash (`null`: the task left none). */
    readonly codes: Readonly<Record<string, number | null>>;
    /** Why it failed, in words. */
    readonly reason?: string;
    readonly stderrTail?: string;
    /** Job start and end (Unix seconds) from its end file. */
    readonly start?: number;
    readonly end?: number;
    /** How it failed. */
    readonly failure?: FailureClass;
    /** True when the runner cancelled it: the attempt is not charged to the retry budget. */
    readonly cancelled?: boolean;
    readonly at: number;
  }
  | {
    readonly t: "collected";
    readonly job: string;
    readonly tasks: readonly string[];
    readonly missing: Readonly<Record<string, readonly string[]>>;
    readonly at: number;
  }
  | {
    readonly t: "final";
    readonly job: string;
    readonly state: "finished" | "failed" | "dropped";
    readonly reason?: string;
    readonly at: number;
  }
  | { readonly t: "common"; readonly missing: readonly string[]; readonly at: number }
  | {
    /** `dpdisp submission --reset-fail-count`: these jobs get their full retry budget again. */
    readonly t: "reset";
    readonly jobs: readonly string[];
    readonly at: number;
  }
  | {
    /** `dpdisp submission --clean` removed the staged copy: the next run stages again. */
    readonly t: "cleaned";
    readonly at: number;
  }
  | {
    /**
     * Written (fsynced) before the cancel command: these attempts (job hash to attempt) end by
     * request, not charged to the retry budget, even if the runner dies before journaling it.
     */
    readonly t: "cancelling";
    readonly jobs: Readonly<Record<string, number>>;
    readonly reason: string;
    readonly at: number;
  }
  | {
    /**
     * A poll saw a live attempt running (the first time) or pending (when its reason changed):
     * what the report's timeline draws. Optional: journals written before it have none.
     */
    readonly t: "seen";
    readonly job: string;
    readonly attempt: number;
    readonly state: "running" | "pending";
    /** Why the scheduler keeps it waiting, in words. */
    readonly reason?: string;
    readonly at: number;
  };

/** Ended-record fields kept per job. */
export type Ending = Extract<JournalRecord, { t: "ended" }>;

/** What the journal says of one job. */
export interface JobState {
  /** Number of attempts with an intent (the next attempt's number). */
  attempts: number;
  /** Failed attempts charged to the retry budget. */
  failures: number;
  /** An attempt whose intent has no `submitted` record yet. */
  intent?: number;
  /** The latest submitted attempt. */
  submitted?: { attempt: number; id: string; at: number };
  /** The latest ending. */
  ended?: Ending;
  /** First submission time (ms) of the job. */
  firstSubmitAt?: number;
  /** Task hashes whose results were collected. */
  collected: Set<string>;
  /** Unmatched backward patterns per task hash. */
  missing: Map<string, readonly string[]>;
  /** Task hashes that exited 0 in some attempt. */
  succeeded: Set<string>;
  /** Last exit code seen per task hash. */
  codes: Map<string, number | null>;
  /** An attempt being cancelled by request (see the `cancelling` record). */
  cancelling?: { attempt: number; reason: string };
  /** Set once the job is done with. */
  final?: { state: "finished" | "failed" | "dropped"; reason?: string };
  /** What polls last saw of the latest submitted attempt: when it ran, or why it waits. */
  seen?: { attempt: number; runningAt?: number; pendingReason?: string };
}

/** The fold of a whole journal. */
export interface RunState {
  staged: boolean;
  /** The run root recorded at staging. */
  stagedRoot?: string;
  commonCollected?: readonly string[];
  readonly jobs: Map<string, JobState>;
}

/** An empty state (a fresh run is a journal with no records). */
export function emptyState(): RunState {
  return { staged: false, jobs: new Map() };
}

function job(state: RunState, hash: string): JobState {
  let j = state.jobs.get(hash);
  if (!j) {
    j = {
      attempts: 0,
      failures: 0,
      collected: new Set(),
      missing: new Map(),
      succeeded: new Set(),
      codes: new Map(),
    };
    state.jobs.set(hash, j);
  }
  return j;
}

/** Applies one record to the state, in place. The runner and recovery use the same fold. */
export function apply(state: RunState, record: JournalRecord): void {
  switch (record.t) {
    case "run":
      return;
    case "staged":
      state.staged = true;
      state.stagedRoot = record.root;
      return;
    case "common":
      state.commonCollected = record.missing;
      return;
    case "intent": {
      const j = job(state, record.job);
      j.attempts = Math.max(j.attempts, record.attempt + 1);
      j.intent = record.attempt;
      return;
    }
    case "submitted": {
      const j = job(state, record.job);
      if (j.intent === record.attempt) j.intent = undefined;
      j.submitted = { attempt: record.attempt, id: record.id, at: record.at };
      j.firstSubmitAt ??= record.at;
      return;
    }
    case "ended": {
      const j = job(state, record.job);
      j.ended = record;
      if (!record.ok && !record.cancelled) j.failures++;
      for (const [task, code] of Object.entries(record.codes)) {
        j.codes.set(task, code);
        if (code === 0) j.succeeded.add(task);
      }
      return;
    }
    case "collected": {
      const j = job(state, record.job);
      for (const task of record.tasks) j.collected.add(task);
      for (const [task, missing] of Object.entries(record.missing)) j.missing.set(task, missing);
      return;
    }
    case "final":
      job(state, record.job).final = { state: record.state, reason: record.reason };
      return;
    case "reset":
      for (const hash of record.jobs) {
        const j = job(state, hash);
        j.failures = 0;
        if (j.final?.state === "failed") j.final = undefined;
        // Failed tasks' logs were collected; their results are still to come.
        for (const task of j.collected) if (!j.succeeded.has(task)) j.collected.delete(task);
      }
      return;
    case "cleaned":
      state.staged = false;
      state.stagedRoot = undefined;
      return;
    case "cancelling":
      for (const [hash, attempt] of Object.entries(record.jobs)) {
        job(state, hash).cancelling = { attempt, reason: record.reason };
      }
      return;
    case "seen": {
      // For views only (queued or running, since when, why it waits): phases ignore it.
      const j = job(state, record.job);
      const seen = j.seen?.attempt === record.attempt ? j.seen : { attempt: record.attempt };
      if (record.state === "running") seen.runningAt ??= record.at;
      else seen.pendingReason = record.reason;
      j.seen = seen;
      return;
    }
  }
}

/** Folds records into a state. */
export function fold(records: Iterable<JournalRecord>): RunState {
  const state = emptyState();
  for (const record of records) apply(state, record);
  return state;
}
