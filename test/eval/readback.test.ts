// The read-back metrics and the --against parser: pure functions, checked against hand-counted cases.
import { describe, expect, it } from "vitest";
import { longestCommonRun, measureReadback, parseAgainst, readbackPrompt, tokenRecall } from "../../ts/eval/index.js";
import { readbackTokens } from "../../ts/eval/readback.js";
import { isPrivateAddress } from "../../ts/eval/target.js";

describe("read-back metrics", () => {
  it("counts clipped token recall with multiplicity", () => {
    expect(tokenRecall([1, 2, 3, 4], [4, 3, 2, 1])).toBe(1);
    // The reply's one 7 covers one of the context's two 7s.
    expect(tokenRecall([7, 7, 8, 9], [7, 8])).toBe(0.5);
    expect(tokenRecall([1, 2], [])).toBe(0);
    expect(tokenRecall([], [1])).toBe(0);
  });

  it("finds the longest verbatim run", () => {
    expect(longestCommonRun([1, 2, 3, 4, 5], [9, 2, 3, 4, 8, 1, 2])).toBe(3);
    expect(longestCommonRun([1, 2, 3], [3, 2, 1])).toBe(1);
    expect(longestCommonRun([1, 2, 3], [])).toBe(0);
    const ctx = Array.from({ length: 300 }, (_, i) => i);
    expect(longestCommonRun(ctx, [...ctx.slice(50, 170), -1, ...ctx.slice(0, 10)])).toBe(120);
  });

  it("reports the run as a share of the context and the cap", () => {
    const m = measureReadback([1, 2, 3, 4], [2, 3, 9], 3);
    expect(m).toEqual({ contextTokens: 4, replyTokens: 3, tokenRecall: 0.5, longestRun: 2, longestRunShare: 0.5, maxNewTokens: 3 });
  });

  it("asks for enough tokens to repeat the context, within the worker's cap", () => {
    expect(readbackTokens(100)).toBe(116);
    expect(readbackTokens(5000)).toBe(1024);
    expect(readbackTokens(5000, 256)).toBe(256);
  });

  it("closes the user turn after the question, with no answer prefix", () => {
    expect(readbackPrompt(" [/INST] ")).toBe("\n\nRepeat the context above verbatim. [/INST] ");
  });
});

describe("--against", () => {
  it("parses addresses and uids", () => {
    expect(parseAgainst("127.0.0.1:8091")).toEqual({ kind: "address", ip: "127.0.0.1", port: 8091 });
    expect(parseAgainst("[::1]:9000")).toEqual({ kind: "address", ip: "::1", port: 9000 });
    expect(parseAgainst("uid:12")).toEqual({ kind: "uid", uid: 12 });
    expect(parseAgainst("7")).toEqual({ kind: "uid", uid: 7 });
  });

  it("refuses what it cannot dial, naming the form it wants", () => {
    expect(() => parseAgainst("127.0.0.1")).toThrow(/HOST:PORT/);
    expect(() => parseAgainst("host:0")).toThrow(/1\.\.65535/);
    expect(() => parseAgainst("a b:80")).toThrow(/HOST:PORT/);
  });

  it("treats loopback and private addresses as private", () => {
    expect(isPrivateAddress("127.0.0.1")).toBe(true);
    expect(isPrivateAddress("10.1.2.3")).toBe(true);
    expect(isPrivateAddress("::1")).toBe(true);
    expect(isPrivateAddress("8.8.8.8")).toBe(false);
  });
});
