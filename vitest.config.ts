import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "ts/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Worker-process tests share 2 cores; run files one at a time so timing-sensitive ones stay stable.
    fileParallelism: false,
    pool: "forks",
  },
});
