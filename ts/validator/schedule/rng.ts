// A seeded generator so a period's draws (test shares, query times) replay exactly from the seed that
// the challenge log stores: sha256(seed || counter) in counter mode, 53 bits per draw.
import { createHash } from "node:crypto";

export type Rng = () => number;

export function seededRng(seed: string): Rng {
  let counter = 0;
  let block: Buffer = Buffer.alloc(0);
  let at = 32;
  return () => {
    if (at + 8 > block.length) {
      block = createHash("sha256").update(seed).update(String(counter++)).digest();
      at = 0;
    }
    const hi = block.readUInt32BE(at) >>> 5; // 27 bits
    const lo = block.readUInt32BE(at + 4) >>> 6; // 26 bits
    at += 8;
    return (hi * 67108864 + lo) / 9007199254740992;
  };
}
