/** How a job attempt failed, as reported in the journal, events and the report. */
export type FailureClass =
  | "exit" // a task exited non-zero
  | "timeout" // the scheduler's time limit
  | "oom" // the memory limit
  | "cancelled" // cancelled by someone else
  | "node_fail" // its node failed
  | "preempted" // preempted by the scheduler
  | "lost"; // vanished without an end file and without a word from the scheduler

/** Words for each failure class. */
export const FAILURE_WORDS: Readonly<Record<FailureClass, string>> = {
  exit: "a task failed",
  timeout: "exceeded its time limit",
  oom: "exceeded its memory limit",
  cancelled: "was cancelled",
  node_fail: "lost its node (node failure)",
  preempted: "was preempted",
  lost: "stopped without writing its end file (killed, or its node was lost)",
};
