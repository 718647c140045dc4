import { defineConfig } from "vitest/config";

// End-to-end: a packaged .vsix in code-server driven by chromium. One file at a time (each test owns a
// code-server and a browser; the machine has 2 cores), long timeouts (a cold workbench takes seconds).
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
  },
});
