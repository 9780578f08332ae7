import { describe, expect, it } from "vitest";
import { addressBlock } from "./client-address.ts";

describe("addressBlock", () => {
  it("counts an IPv4 address as itself", () => {
    expect(addressBlock("203.0.113.7")).toBe("203.0.113.7");
  });

  it("counts every IPv6 address of one /64 as that /64, however it is written", () => {
    expect(
      new Set(
        ["2001:db8:1:2::1", "2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:DB8:1:2:3:4:5:6"].map(
          addressBlock,
        ),
      ),
    ).toEqual(new Set(["2001:db8:1:2::/64"]));
    expect(addressBlock("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(addressBlock("::1")).toBe("0:0:0:0::/64");
  });

  it("counts anything it cannot read as itself", () => {
    for (const ip of ["unknown", "::ffff:192.0.2.1", "1:2:3", "1::2::3", "g::1"])
      expect(addressBlock(ip)).toBe(ip);
  });
});
