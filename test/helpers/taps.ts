/** Runs code as one recorded step of a tap collector, for tests of taps and attention statistics. */
import { TapCollector } from "../../src/instrument/taps";

/** Runs `fn` (forward and backward) as recorded step 0 and returns the collector and what it kept. */
export function recordStep(fn: () => void) {
  const collector = new TapCollector();
  collector.start();
  try {
    fn();
  } finally {
    collector.finish(0);
  }
  return { collector, step: collector.steps.get(0) };
}
