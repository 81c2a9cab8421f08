/**
 * The one way tests wait: poll a condition until it holds, a bounded number of times, and fail
 * with a message naming what never happened. Tests wait for conditions (a reply arrived, a new
 * leader appeared, N writes were acknowledged), never for a stretch of time: a slow machine then
 * makes a test slower, not wrong.
 */

export interface WaitOptions {
  /** Polls before giving up; bounds a test that would otherwise hang. */
  attemptsMax?: number;
  /** Pause between polls, in milliseconds: short, so a test goes on soon after the condition holds. */
  intervalMs?: number;
}

/** Between polls: often enough not to slow a test, seldom enough to leave the machine to the code under test. */
const intervalMsDefault = 5;
/**
 * With the default interval, at least 30 s of waiting: generous for real processes on a loaded
 * 2-core machine. It only bounds a test that fails; a passing one goes on as soon as it can.
 */
const attemptsMaxDefault = 6000;

type Truthy<T> = Exclude<T, false | null | undefined | 0 | "">;

/**
 * Polls `condition` (which may be asynchronous) until it returns a truthy value, and returns that
 * value (so `await waitFor(() => findLeader(), "a leader")` gives the leader). Throws, naming
 * `what`, once `attemptsMax` polls have failed.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what: string,
  options: WaitOptions = {},
): Promise<Truthy<T>> {
  const attemptsMax = options.attemptsMax ?? attemptsMaxDefault;
  const intervalMs = options.intervalMs ?? intervalMsDefault;
  for (let attempt = 1; attempt <= attemptsMax; attempt++) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (attempt < attemptsMax) await Bun.sleep(intervalMs);
  }
  throw new Error(`waited for ${what}, in vain: not so after ${attemptsMax} checks ${intervalMs} ms apart`);
}
