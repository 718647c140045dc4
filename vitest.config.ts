import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

// Vitest runs TypeScript directly (no separate compile step for tests) and isolates files in workers;
// the end-to-end suite has its own config (test/e2e) because it needs a built .vsix and a browser.
export default defineConfig({
  resolve: {
    alias: { "gradient-lens": fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
