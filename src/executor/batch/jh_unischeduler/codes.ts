/**
 * Lines of a JH UniScheduler command that mean its master daemon did not answer. No JH output
 * was found; its commands are LSF's (dpdispatcher: "similar to that of IBM's LSF"), so these are
 * LSF's and OpenLava's retry texts, with JH's name beside LSF's.
 */
export const DAEMON_DOWN: readonly RegExp[] = [
  /(?:LSF|JH UniScheduler|UniScheduler) is down/i,
  /Cannot connect to/i,
  /is processing your request/i,
  /daemon (\(LIM\) )?not responding/i,
  /Please wait/i,
  /Connection refused/i,
  /Timeout on connect call/i,
];

/**
 * jsub errors that mean "the queue is full for you": keep the job and submit when room frees
 * (LSF's texts, assumed for JH).
 */
export const QUEUE_LIMIT: readonly RegExp[] = [
  /Queue does not have enough per-user job slots/i,
  /The destination queue has reached its job limit/i,
  /does not have enough job slots/i,
  /pending job threshold/i,
  /job limit/i,
];

/**
 * jsub errors no retry can fix: the job as written is refused (LSF's `<reason>. Job not
 * submitted.` texts, assumed for JH; a script the shell cannot read; a usage error).
 */
export const FATAL: readonly RegExp[] = [
  /No such queue/i,
  /User cannot use the queue/i,
  /Unknown user/i,
  /User permission denied/i,
  /Too many processors requested/i,
  /Bad argument/i,
  /Bad time specification/i,
  /Bad RUNLIMIT specification/i,
  /Cannot exceed queue's hard limit/i,
  /Bad job name/i,
  /Bad resource requirement syntax/i,
  /No such file or directory/i,
  /Permission denied/i,
  /illegal option|unknown option|Usage: jsub/i,
];
