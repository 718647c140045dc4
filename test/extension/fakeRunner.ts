/** A controllable stand-in for the runner's `startRun`: each call is recorded and ended by the test. */
import type { RunHandle } from "../../src/runner";
import type { RunOutcome, RunRequest, RunnerEvent } from "../../src/protocol/runner";

export interface FakeRun {
  request: RunRequest;
  emit(e: RunnerEvent): void;
  end(outcome: RunOutcome): void;
  cancelled: boolean;
}

export function fakeRunner() {
  const runs: FakeRun[] = [];
  const startRun = (request: RunRequest, onEvent: (e: RunnerEvent) => void): RunHandle => {
    let end!: (o: RunOutcome) => void;
    const result = new Promise<RunOutcome>((r) => (end = r));
    const run: FakeRun = { request, emit: onEvent, end, cancelled: false };
    runs.push(run);
    return {
      result,
      pid: undefined,
      cancel() {
        run.cancelled = true;
        end({ ok: false, error: { kind: "cancelled", message: "cancelled" } });
      },
    } as RunHandle;
  };
  return { runs, startRun };
}

/** Lets pending promise callbacks and timers run. */
export const settle = (ms = 10) => new Promise((r) => setTimeout(r, ms));
