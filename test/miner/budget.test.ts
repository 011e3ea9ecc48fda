import { describe, expect, it } from "vitest";
import { BudgetLedger } from "../../ts/miner/budget.js";
import { validatorBudget } from "../../ts/subnet/index.js";

describe("validatorBudget: max(int(RPE * S_v / sum S), floor) bounded by capacity", () => {
  const p = { requestsPerEpoch: 256, capacity: 1000, floor: 10 };
  it("splits RPE by stake share, truncating like int()", () => {
    expect(validatorBudget(10, 100, p)).toBe(25); // the spec's example: 10 % of stake -> 25
    expect(validatorBudget(90, 100, p)).toBe(230);
    expect(validatorBudget(1, 3, p)).toBe(85); // 85.33 -> 85
  });
  it("never goes under the floor", () => {
    expect(validatorBudget(1, 1000, p)).toBe(10);
    expect(validatorBudget(0, 0, p)).toBe(10);
  });
  it("is capped by the declared capacity", () => {
    expect(validatorBudget(100, 100, { ...p, capacity: 40 })).toBe(40);
    expect(validatorBudget(1, 1000, { ...p, capacity: 5 })).toBe(5);
  });
});

describe("BudgetLedger", () => {
  it("counts per validator and tier, refuses over budget, resets at the next period", () => {
    let now = 1_000_000;
    const ledger = new BudgetLedger(600_000, new Map([["research", { requestsPerEpoch: 20, capacity: 100, floor: 1 }]]), () => now);
    ledger.rebuild(new Map([["A", 3], ["B", 1]]));
    expect(ledger.budgetOf("research", "A")).toBe(15);
    expect(ledger.budgetOf("research", "B")).toBe(5);
    for (let i = 0; i < 5; i++) expect(ledger.consume("research", "B").ok).toBe(true);
    const r = ledger.consume("research", "B");
    expect(r.ok).toBe(false);
    expect(r.ok ? null : r.code).toBe("rate_limited");
    expect(ledger.consume("research", "A").ok).toBe(true); // A is unaffected
    now += 600_000;
    expect(ledger.usedBy("research", "B")).toBe(0);
    expect(ledger.consume("research", "B").ok).toBe(true);
  });

  it("the tier total never exceeds the declared capacity, whatever the budgets", () => {
    const ledger = new BudgetLedger(600_000, new Map([["research", { requestsPerEpoch: 100, capacity: 12, floor: 10 }]]), () => 0);
    ledger.rebuild(new Map([["A", 1], ["B", 1]]));
    let ok = 0;
    let exhausted = 0;
    for (let i = 0; i < 10; i++) for (const hk of ["A", "B"]) {
      const r = ledger.consume("research", hk);
      if (r.ok) ok++;
      else if (r.code === "capacity_exhausted") exhausted++;
    }
    expect(ok).toBe(12);
    expect(exhausted).toBe(8);
  });

  it("refund gives a request back", () => {
    const ledger = new BudgetLedger(600_000, new Map([["t", { requestsPerEpoch: 1, capacity: 1, floor: 1 }]]), () => 0);
    ledger.rebuild(new Map([["A", 1]]));
    expect(ledger.consume("t", "A").ok).toBe(true);
    expect(ledger.consume("t", "A").ok).toBe(false);
    ledger.refund("t", "A");
    expect(ledger.consume("t", "A").ok).toBe(true);
  });

  it("an unknown validator has no budget", () => {
    const ledger = new BudgetLedger(600_000, new Map([["t", { requestsPerEpoch: 10, capacity: 10, floor: 1 }]]), () => 0);
    ledger.rebuild(new Map([["A", 1]]));
    expect(ledger.consume("t", "Z")).toMatchObject({ ok: false, code: "rate_limited" });
  });
});
