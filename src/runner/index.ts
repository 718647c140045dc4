/**
 * Running a user's model in an isolated child process: the API the CLI and the extension call.
 *
 * Each run forks dist/runner/worker.js with a heap limit and source maps on, sends one `run` command,
 * streams validated `RunnerEvent`s back, and settles exactly once with a `RunOutcome`. The parent owns
 * every limit: the wall-clock timer and cancellation ask the child to stop (it answers with the steps
 * done, kept as the error's `partialReport`) and kill it after STOP_GRACE_MS if it cannot answer (a
 * model stuck in a loop); the memory watch kills at once. An unexplained exit is classified from its
 * stderr and signal. The model's output is drained before the run settles and capped at MAX_LOG_LINES.
 * Nothing here imports esbuild or the engine, so the extension host stays light.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { modelFileProblem } from "./modelFile";
import { isRunnerEvent, type RunnerStop, type ModelEntry, type RunError, type RunnerCommand, type RunnerEvent, type RunOutcome, type RunRequest } from "../protocol/runner";

/** Default wall-clock limit of a run (RunRequest.timeLimitMs). */
export const DEFAULT_TIME_LIMIT_MS = 120_000;
/** Default memory limit of the child, on its resident size (RunRequest.memoryLimitMb). */
export const DEFAULT_MEMORY_LIMIT_MB = 2048;
/** `listModels` only loads the file, so it gets a shorter leash. */
export const DEFAULT_LIST_TIME_LIMIT_MS = 30_000;

export interface RunOptions {
  /** The child's entry (default: dist/runner/worker.js found next to the running bundle). */
  workerPath?: string;
  /** The Node executable (default: this process's, `process.execPath`; the extension may pass a system node). */
  nodePath?: string;
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where the child loads esbuild from: a module id or an absolute path (default "esbuild"). */
  esbuildPath?: string;
  /** Working directory of the child (default: the model file's directory). */
  cwd?: string;
}

/** A run in progress. */
export interface RunHandle {
  /** Settles once: the report, or why there is none. Never rejects. */
  readonly result: Promise<RunOutcome>;
  /**
   * Stops the run: the child is asked to end training and answer with the steps done (then
   * `result` is a `cancelled` error carrying that `partialReport`); after a grace period it is killed.
   */
  cancel(): void;
  /** The child's process id (for diagnostics). */
  readonly pid: number | undefined;
}

/** dist/runner/worker.js relative to whichever bundle is running (dist/cli.js, dist/extension.js, dist/index.cjs) or to src/runner in tests. */
export function defaultWorkerPath(): string {
  const here = typeof __dirname === "string" ? __dirname : process.cwd();
  const candidates = [
    path.join(here, "runner", "worker.js"), // dist/cli.js, dist/extension.js
    path.join(here, "worker.js"), // dist/runner/*.js
    path.join(here, "..", "..", "dist", "runner", "worker.js"), // src/runner/index.ts (tests, ts-node)
  ];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

const STDERR_TAIL = 16_384;
/** How long a child asked to stop (time limit, cancel) has to answer with its partial report before it is killed. */
export const STOP_GRACE_MS = 3000;
/** How long, after the final message, the child's remaining output is awaited before the run settles. */
const DRAIN_MS = 2000;
/** The model's console lines passed on per run; the rest is counted and announced, never silently lost. */
export const MAX_LOG_LINES = 2000;

/** V8's messages when the heap limit is reached (the process aborts right after). */
const OOM_PATTERN = /heap out of memory|Reached heap limit|Allocation failed|ERR_WORKER_OUT_OF_MEMORY|invalid table size|invalid array length Allocation/i;
/** Lines of V8's fatal-error report (GC trace, native stack), which precede or follow the OOM line. */
const V8_REPORT_LINE = /^\s*(<--- .* --->|\[\d+:0x[0-9a-f]+\]|\d+: 0x[0-9a-f]+ |=+ JS stack trace|Security context:|FATAL ERROR:|----- Native stack trace -----)/i;

/** Resident memory of a process in MB (Linux /proc; elsewhere unknown). */
function residentMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a run. Events (validated with `isRunnerEvent`) go to `onEvent` as they arrive; `result`
 * settles with the report or a `RunError` (syntax, load, invalid-model, not-found, runtime, timeout,
 * out-of-memory, cancelled). A `list` request settles with an empty-model error if the file fails,
 * else use `listModels`, which returns the models directly.
 */
export function startRun(req: RunRequest, onEvent?: (e: RunnerEvent) => void, options: RunOptions = {}): RunHandle {
  const request: RunRequest = { ...req, file: path.resolve(req.file) };
  const timeLimitMs = request.timeLimitMs ?? (request.command === "list" ? DEFAULT_LIST_TIME_LIMIT_MS : DEFAULT_TIME_LIMIT_MS);
  const memoryLimitMb = request.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
  const workerPath = options.workerPath ?? defaultWorkerPath();

  let settle!: (o: RunOutcome) => void;
  const result = new Promise<RunOutcome>((resolve) => (settle = resolve));
  let settled = false;
  let child: ChildProcess | undefined;
  let reason: RunError | undefined; // why the parent stopped the child
  let stderrTail = "";
  let lastModels: ModelEntry[] | undefined;
  let trainingDone = false; // the last step's progress arrived: what runs now is the gradient check
  let final: RunOutcome | undefined; // the child's answer, settled once its output is drained
  let closed = false;
  let oomSeen = false;
  let logLines = 0;
  let droppedLines = 0;
  const timers: NodeJS.Timeout[] = [];

  const done = (outcome: RunOutcome) => {
    if (settled) return;
    settled = true;
    for (const t of timers) clearTimeout(t), clearInterval(t);
    if (droppedLines) emit({ type: "log", level: "warn", text: `… ${droppedLines} lines of the model's output dropped (more than ${MAX_LOG_LINES})` });
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    settle(outcome);
  };
  const emit = (e: RunnerEvent) => {
    try {
      onEvent?.(e);
    } catch {
      // A throwing listener must not take the run (or the caller's process) down with it.
    }
  };
  const log = (level: "info" | "warn", text: string) => {
    if (settled) return;
    if (logLines >= MAX_LOG_LINES) return void droppedLines++;
    logLines++;
    emit({ type: "log", level, text });
  };
  /** The answer arrived: wait (briefly) for the output written before it, then settle. */
  const answer = (outcome: RunOutcome) => {
    if (final || settled) return;
    final = reason && outcome.ok ? { ok: false, error: { ...reason, partialReport: stopped(outcome.report, reason) } } : outcome;
    if (closed) return done(final);
    const t = setTimeout(() => done(final!), DRAIN_MS);
    timers.push(t);
  };
  const kill = (error: RunError) => {
    reason ??= error;
    done({ ok: false, error });
  };
  /** Asks the child for its partial report; kills it if it does not answer within the grace period. */
  const stop = (error: RunError) => {
    if (settled || reason) return;
    reason = error;
    if (final) return;
    if (!child?.connected) return kill(error);
    child.send({ type: "stop" } satisfies RunnerStop, () => {});
    timers.push(setTimeout(() => kill(error), STOP_GRACE_MS));
  };

  if (!existsSync(workerPath)) {
    done({ ok: false, error: { kind: "load", message: `runner worker not found at ${workerPath} (build with \`npm run build\`)` } });
    return { result, cancel() {}, pid: undefined };
  }

  const fileProblem = modelFileProblem(request.file);
  if (fileProblem) {
    done({ ok: false, error: { kind: "not-found", message: fileProblem } });
    return { result, cancel() {}, pid: undefined };
  }

  try {
    child = fork(workerPath, [], {
      execPath: options.nodePath ?? process.execPath,
      execArgv: [`--max-old-space-size=${memoryLimitMb}`, "--enable-source-maps", "--stack-trace-limit=50"],
      env: childEnv(options),
      cwd: options.cwd ?? path.dirname(request.file),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced", // reports carry NaN/Infinity, which JSON would turn into null
    });
  } catch (e) {
    done({ ok: false, error: { kind: "load", message: `could not start the runner: ${(e as Error).message}` } });
    return { result, cancel() {}, pid: undefined };
  }
  const proc = child;

  proc.stdout?.setEncoding("utf8");
  let stdoutRest = "";
  proc.stdout?.on("data", (text: string) => {
    const lines = (stdoutRest + text).split(/\r?\n/);
    stdoutRest = lines.pop() ?? "";
    for (const line of lines) if (line) log("info", line);
  });
  proc.stdout?.on("end", () => {
    if (stdoutRest) log("info", stdoutRest);
    stdoutRest = "";
  });
  proc.stderr?.setEncoding("utf8");
  let stderrRest = "";
  proc.stderr?.on("data", (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL);
    const lines = (stderrRest + text).split(/\r?\n/);
    stderrRest = lines.pop() ?? "";
    for (const line of lines) stderrLine(line);
  });
  proc.stderr?.on("end", () => {
    if (stderrRest) stderrLine(stderrRest);
    stderrRest = "";
  });
  // V8's fatal OOM report (GC trace, native stack) is noise to a user; the classified error says it better.
  function stderrLine(line: string) {
    if (OOM_PATTERN.test(line)) oomSeen = true;
    if (!line || oomSeen || V8_REPORT_LINE.test(line)) return;
    log("warn", line);
  }

  proc.on("message", (message: unknown) => {
    if (settled || final) return;
    if (!isRunnerEvent(message)) {
      log("warn", `runner: ignored a malformed message ${JSON.stringify(message)?.slice(0, 120)}`);
      return;
    }
    if (message.type === "log") log(message.level, message.text);
    else emit(message);
    if (message.type === "progress" && message.step + 1 >= message.totalSteps) trainingDone = true;
    if (message.type === "models") lastModels = message.models;
    if (message.type === "report") answer({ ok: true, report: message.report });
    else if (message.type === "failed") answer({ ok: false, error: message.error });
    else if (message.type === "models" && request.command === "list") answer({ ok: true, report: emptyReport(request.file, lastModels ?? []) });
  });

  proc.on("error", (e) => kill({ kind: "load", message: `runner process error: ${e.message}` }));

  // 'close' (not 'exit') so stderr has been read to the end before the exit is classified.
  proc.on("close", (code, signal) => {
    closed = true;
    if (settled) return;
    if (final) return done(final);
    if (reason) return done({ ok: false, error: reason });
    if (oomSeen || OOM_PATTERN.test(stderrTail)) {
      return done({ ok: false, error: oomError(memoryLimitMb) });
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = stderrTail.trim().split("\n").slice(-12).join("\n");
    done({
      ok: false,
      error: {
        kind: "runtime",
        message: `The model's process ${how} before finishing. A model must not end its process (process.exit, process.kill, process.abort) and must not crash Node.${tail ? `\n${tail}` : ""}`,
        stack: tail || undefined,
      },
    });
  });

  timers.push(
    setTimeout(() => {
      stop({ kind: "timeout", message: timeoutMessage(request, timeLimitMs, trainingDone) });
    }, timeLimitMs),
  );
  // Typed arrays live outside the V8 heap, so --max-old-space-size alone does not bound a model's
  // memory: the limit is on the resident size of the whole process (Linux /proc), heap and buffers together.
  const watch = setInterval(() => {
    const rss = proc.pid ? residentMb(proc.pid) : undefined;
    if (rss !== undefined && rss > memoryLimitMb) kill(oomError(memoryLimitMb, rss));
  }, 250);
  watch.unref?.();
  timers.push(watch);

  const command: RunnerCommand = { type: "run", request, ...(options.esbuildPath ? { esbuildPath: options.esbuildPath } : {}) };
  proc.send(command, (e) => {
    if (e && !settled) kill({ kind: "load", message: `could not send the request to the runner: ${e.message}` });
  });

  return {
    result,
    cancel() {
      stop({ kind: "cancelled", message: "The run was cancelled." });
    },
    get pid() {
      return proc.pid;
    },
  };
}

/**
 * The child's environment. NODE_OPTIONS is cleared so a debugger or loader flag of the caller (VS Code,
 * vitest) does not leak into the model's process. Inside VS Code `process.execPath` is Electron, which
 * runs as plain Node only with ELECTRON_RUN_AS_NODE.
 */
function childEnv(options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), NODE_OPTIONS: "" };
  if (!options.nodePath && process.versions.electron) env.ELECTRON_RUN_AS_NODE = "1";
  return env;
}

function oomError(limitMb: number, rssMb?: number): RunError {
  const seen = rssMb === undefined ? "" : ` (its resident memory reached ${Math.round(rssMb)} MB)`;
  return {
    kind: "out-of-memory",
    message: `The model ran out of memory: the limit is ${limitMb} MB for the model's process${seen}. Use smaller layers, batches or datasets, or raise the limit (--memory MB, RunRequest.memoryLimitMb, the gradientLens.memoryLimitMb setting).`,
  };
}

/** The child's report as a partial one: the status says why it stopped (the time limit or a cancel). */
function stopped(report: import("../report").Report, why: RunError): import("../report").Report {
  const reasonOf = why.kind === "timeout" ? "timeout" : "cancelled";
  return { ...report, status: { ...(report.status ?? { ok: false }), ok: false, reason: reasonOf, error: why.message } };
}

/**
 * Why the run was stopped. When training had finished, the time went to the gradient check: say so and
 * name the cheaper modes (full mode costs two forward passes per parameter).
 */
export function timeoutMessage(request: Pick<RunRequest, "command" | "gradcheck">, timeLimitMs: number, trainingDone: boolean): string {
  const base = `The run exceeded its time limit of ${formatMs(timeLimitMs)} and was stopped (RunRequest.timeLimitMs / the gradientLens time-limit setting).`;
  const mode = request.gradcheck ? request.gradcheck.mode ?? "sampled" : request.command === "check" ? "sampled" : undefined;
  if (!mode || !trainingDone) return base;
  const cheaper =
    mode === "full"
      ? " Full mode compares every parameter (two forward passes each): use sampled or directional mode (`--mode sampled` or `--mode directional`), or raise the time limit (`--time-limit SECONDS`)."
      : " Use `--mode directional` (a few forward passes for the whole model) or raise the time limit (`--time-limit SECONDS`).";
  return `${base} Training had finished; the ${mode} gradient check was still running.${cheaper}`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A `list` run has no report; `startRun` settles with this placeholder (use `listModels` instead). */
function emptyReport(file: string, models: ModelEntry[]): import("../report").Report {
  return { version: 1, model: { name: models[0]?.name ?? "", file, parameters: 0, layers: [] }, steps: [], warnings: [] };
}

/**
 * The models a file exports (default first), each with its export name, display name and the line of
 * the `export … defineModel(…)` statement. Loads the file in a child process, like a run.
 */
export async function listModels(
  file: string,
  options: RunOptions & { timeLimitMs?: number; memoryLimitMb?: number } = {},
): Promise<{ ok: true; models: ModelEntry[] } | { ok: false; error: RunError }> {
  let models: ModelEntry[] | undefined;
  const handle = startRun(
    { file, command: "list", timeLimitMs: options.timeLimitMs, memoryLimitMb: options.memoryLimitMb ?? 512 },
    (e) => {
      if (e.type === "models") models = e.models;
    },
    options,
  );
  const outcome = await handle.result;
  if (!outcome.ok) return outcome;
  return { ok: true, models: models ?? [] };
}
