// The dial policy's address classes (issue 10 §3 / §4): what a miner may make the validator connect to.
import { describe, expect, it } from "vitest";
import { checkAddress, classifyAddress, type AddressClass } from "../../../ts/validator/verify/index.js";

const cases: Array<[string, AddressClass]> = [
  ["8.8.8.8", "public"],
  ["2606:4700::1111", "public"],
  ["127.0.0.1", "loopback"],
  ["127.9.9.9", "loopback"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["10.1.2.3", "private"],
  ["172.16.0.1", "private"],
  ["192.168.1.1", "private"],
  ["169.254.1.1", "link_local"],
  ["fe80::1%eth0", "link_local"],
  ["100.64.0.1", "cgnat"],
  ["fd12:3456::1", "ula"],
  ["0.0.0.0", "unspecified"],
  ["::", "unspecified"],
  ["169.254.169.254", "metadata"],
  ["100.100.100.200", "metadata"],
  ["fd00:ec2::254", "metadata"],
  // IPv4-mapped and IPv4-compatible IPv6 are judged by the IPv4 they carry
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["[::ffff:127.0.0.1]", "loopback"],
  ["::127.0.0.1", "loopback"],
  ["::ffff:169.254.169.254", "metadata"],
  ["::ffff:10.0.0.1", "private"],
  ["::ffff:0.0.0.0", "unspecified"],
  ["::ffff:8.8.8.8", "public"],
  ["64:ff9b::7f00:1", "transition"],
  ["2002:7f00:1::1", "transition"],
  ["224.0.0.1", "multicast"],
  ["255.255.255.255", "broadcast"],
  ["192.0.2.1", "reserved"],
  ["2001:db8::1", "reserved"],
  // shorthand IPv4 spellings resolvers disagree on are not addresses here
  ["127.1", "invalid"],
  ["0x7f.0.0.1", "invalid"],
  ["localhost", "invalid"],
  ["", "invalid"],
  ["1".repeat(100_000), "invalid"],
];

describe("address classes (issue 10 §3 dial policy)", () => {
  it.each(cases)("%s is %s", (ip, cls) => expect(classifyAddress(ip)).toBe(cls));

  it("refuses every non-public class by default and only the private ones with allowPrivate", () => {
    for (const [ip, cls] of cases) {
      expect(checkAddress(ip).ok, ip).toBe(cls === "public");
      const privateOk = ["public", "loopback", "private", "link_local", "cgnat", "ula", "unspecified"].includes(cls);
      expect(checkAddress(ip, { allowPrivate: true }).ok, ip).toBe(privateOk);
    }
  });

  it("metadata endpoints stay refused with allowPrivate; an exact allowAddresses entry lets one address through", () => {
    expect(checkAddress("169.254.169.254", { allowPrivate: true }).ok).toBe(false);
    expect(checkAddress("::ffff:169.254.169.254", { allowPrivate: true }).ok).toBe(false);
    const p = { allowPrivate: false, allowAddresses: ["127.0.0.2"] };
    expect(checkAddress("127.0.0.2", p).ok).toBe(true);
    expect(checkAddress("::ffff:127.0.0.2", p).ok).toBe(true);
    expect(checkAddress("127.0.0.1", p).ok).toBe(false);
  });
});

describe("verification metrics take labels only from bounded sets", () => {
  it("pre-creates every (tier, outcome) series and maps unknown tiers to 'unknown'", async () => {
    const { VerifyMetrics, REFUSAL_CODES } = await import("../../../ts/validator/verify/index.js");
    const m = new VerifyMetrics(undefined, ["research"]);
    m.refused("research", "BINDING_MISMATCH");
    m.refused("x".repeat(10_000), "ADDRESS_REFUSED");
    m.ok("research", 120);
    const values = (await m.outcomes.get()).values;
    expect(values).toHaveLength(REFUSAL_CODES.length + 1 + 1);
    expect(values.find((v) => v.labels.outcome === "BINDING_MISMATCH" && v.labels.tier === "research")!.value).toBe(1);
    expect(values.find((v) => v.labels.tier === "unknown")!.labels.outcome).toBe("ADDRESS_REFUSED");
  });
});
