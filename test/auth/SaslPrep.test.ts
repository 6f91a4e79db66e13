/**
 * SASLprep (RFC 4013): the RFC's examples, characters from every table, and
 * the raw-bytes fallback agreeing between client, server and verifiers.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { Password, SaslPrep, ScramClient, ScramServer, ScramVerifier } from "../../src/auth/index.ts"
import { ok } from "./support.ts"

const prep = (input: string) => SaslPrep.saslprep(input)
const failure = (input: string, variant = SaslPrep.saslprep) => {
  const result = variant(input)
  if (Result.isSuccess(result)) throw new Error(`expected ${JSON.stringify(input)} to fail SASLprep`)
  return result.failure.reason
}

describe("SASLprep: RFC 4013 section 3 examples", () => {
  it.each([
    ["I\u00ADX", "IX"], // soft hyphen mapped to nothing
    ["user", "user"],
    ["USER", "USER"], // case preserved
    ["\u00AA", "a"], // NFKC
    ["\u2168", "IX"] // NFKC
  ])("%j -> %j", (input, output) => {
    expect(ok(prep(input))).toBe(output)
  })

  it("\\u0007 is prohibited", () => {
    expect(failure("\u0007")).toBe("Prohibited")
  })

  it("\\u0627\\u0031 violates the bidi rule", () => {
    expect(failure("\u0627\u0031")).toBe("Bidi")
  })
})

describe("SASLprep: mapping tables", () => {
  it.each([
    ["C.1.2 no-break space", "a\u00A0b", "a b"],
    ["C.1.2 ogham space mark", "a\u1680b", "a b"],
    ["C.1.2 en quad", "a\u2000b", "a b"],
    ["C.1.2 zero width space (mapped to space before B.1, as PostgreSQL)", "a\u200Bb", "a b"],
    ["C.1.2 narrow no-break space", "a\u202Fb", "a b"],
    ["C.1.2 ideographic space", "a\u3000b", "a b"],
    ["B.1 soft hyphen", "a\u00ADb", "ab"],
    ["B.1 combining grapheme joiner", "a\u034Fb", "ab"],
    ["B.1 mongolian free variation selector", "a\u180Bb", "ab"],
    ["B.1 zero width joiner", "a\u200Db", "ab"],
    ["B.1 word joiner", "a\u2060b", "ab"],
    ["B.1 variation selector", "a\uFE0Fb", "ab"],
    ["B.1 zero width no-break space", "a\uFEFFb", "ab"],
    ["NFKC ligature", "\uFB01", "fi"],
    ["NFKC composition", "e\u0301", "\u00E9"],
    ["NFKC fullwidth", "\uFF21", "A"],
    ["ASCII space kept", "a b", "a b"]
  ])("%s", (_, input, output) => {
    expect(ok(prep(input))).toBe(output)
  })
})

describe("SASLprep: prohibited output", () => {
  it.each([
    ["C.2.1 NUL", "\u0000"],
    ["C.2.1 DEL", "a\u007F"],
    ["C.2.1 line feed", "a\nb"],
    ["C.2.2 C1 control", "a\u0085"],
    ["C.2.2 arabic end of ayah", "\u06DD"],
    ["C.2.2 line separator", "a\u2028"],
    ["C.2.2 musical symbol begin beam", "a\u{1D173}"],
    ["C.3 private use", "a\uE000"],
    ["C.3 supplementary private use", "a\u{F0000}"],
    ["C.4 non-character", "a\uFDD0"],
    ["C.4 non-character U+FFFF", "a\uFFFF"],
    ["C.5 lone surrogate", "a\uD800"],
    ["C.6 replacement character", "a\uFFFD"],
    ["C.6 interlinear annotation", "a\uFFF9"],
    ["C.7 ideographic description", "a\u2FF0"],
    ["C.8 left-to-right mark", "a\u200E"],
    ["C.8 left-to-right embedding", "a\u202A"],
    ["C.8 inhibit symmetric swapping", "a\u206A"],
    ["C.9 language tag", "a\u{E0001}"],
    ["C.9 tag character", "a\u{E0041}"]
  ])("%s", (_, input) => {
    expect(failure(input)).toBe("Prohibited")
    expect(failure(input, SaslPrep.saslprepPostgres)).toBe("Prohibited")
  })

  it.each([
    ["A.1 U+0221 (assigned after 3.2)", "a\u0221"],
    ["A.1 U+0870", "a\u0870"],
    ["A.1 U+1F600 emoji (after 3.2)", "a\u{1F600}"],
    ["A.1 plane 3", "a\u{30000}"]
  ])("unassigned in Unicode 3.2: %s", (_, input) => {
    expect(failure(input)).toBe("Unassigned")
    expect(failure(input, SaslPrep.saslprepPostgres)).toBe("Unassigned")
  })

  it("bidi: RandALCat strings must start and end with RandALCat and hold no LCat", () => {
    expect(ok(prep("\u0627\u0628"))).toBe("\u0627\u0628")
    expect(ok(prep("\u05D0\u0031\u05D1"))).toBe("\u05D0\u0031\u05D1") // digits allowed inside
    expect(failure("\u0031\u0627")).toBe("Bidi") // does not start with RandAL
    expect(failure("\u0627a\u0628")).toBe("Bidi") // contains LCat
    expect(ok(prep("a\u0031"))).toBe("a1") // no RandAL: no rule
  })

  it("an input that maps to nothing is the empty string (RFC), and fails over to raw bytes for passwords (PostgreSQL)", () => {
    expect(ok(prep("\u00AD"))).toBe("")
    expect(failure("\u00AD", SaslPrep.saslprepPostgres)).toBe("Empty")
    expect(Array.from(Password.scramPasswordBytes("\u00AD"))).toEqual([0xc2, 0xad])
  })

  it("PostgreSQL checks before NFKC, the RFC after: the two differ where NFKC changes a table", () => {
    // U+0340 (C.8) normalizes to U+0300, which is allowed.
    expect(ok(prep("a\u0340"))).toBe("\u00E0")
    expect(failure("a\u0340", SaslPrep.saslprepPostgres)).toBe("Prohibited")
    // U+FB1D (RandALCat) normalizes to U+05D9 U+05B4, which ends with a non-RandALCat mark.
    expect(failure("\uFB1D")).toBe("Bidi")
    expect(ok(SaslPrep.saslprepPostgres("\uFB1D"))).toBe("\u05D9\u05B4")
    // Password bytes follow PostgreSQL (the fixture checks this against PostgreSQL 18's verifiers).
    expect(Buffer.from(Password.scramPasswordBytes("a\u0340")).toString()).toBe("a\u0340")
    expect(Buffer.from(Password.scramPasswordBytes("\uFB1D")).toString()).toBe("\u05D9\u05B4")
  })

  it("the two variants agree on ordinary input", () => {
    for (const input of ["I\u00ADX", "\u2168", "pa\u00DFword\u00A0\uFB01", "\u0627\u0628", "user"]) {
      expect(ok(SaslPrep.saslprepPostgres(input))).toBe(ok(prep(input)))
    }
  })

  it("binary search hits range starts, ends and misses", () => {
    const table = [10, 20, 30, 30, 40, 50]
    for (const [cp, inside] of [[9, false], [10, true], [20, true], [21, false], [30, true], [31, false], [50, true], [51, false]] as const) {
      expect(SaslPrep.inTable(table, cp)).toBe(inside)
    }
    expect(SaslPrep.inTable([], 5)).toBe(false)
  })
})

describe("password bytes for SCRAM", () => {
  const hex = (input: string | Uint8Array) => Buffer.from(Password.scramPasswordBytes(input)).toString("hex")

  it("SASLprep form when it succeeds, raw UTF-8 when it does not", () => {
    expect(hex("I\u00ADX")).toBe(Buffer.from("IX").toString("hex"))
    expect(hex("\u2168")).toBe(Buffer.from("IX").toString("hex"))
    expect(hex("\u0627\u0031")).toBe(Buffer.from("\u0627\u0031").toString("hex")) // bidi failure
    expect(hex("a\u0007\u00E9")).toBe(Buffer.from("a\u0007\u00E9").toString("hex")) // prohibited
    expect(hex("pencil\u0007")).toBe(Buffer.from("pencil\u0007").toString("hex")) // ASCII fast path
  })

  it("bytes received by a server: UTF-8 is prepared, invalid UTF-8 is used as is", () => {
    expect(hex(new TextEncoder().encode("\u2168"))).toBe(Buffer.from("IX").toString("hex"))
    expect(hex(new Uint8Array([0xff, 0x41]))).toBe("ff41")
  })

  // Client and server agree on every password, whether SASLprep accepts it
  // or not. Passwords mix random code points with characters from the tables.
  const interesting = [
    "a", "Z", "1", " ", "\u00AD", "\u00A0", "\u200B", "\uFB01", "\u2168", "\u00AA", "\u0627", "\u05D0", "\u0007",
    "\u0000", "\uFEFF", "\uD800", "e", "\u0301", "\u00DF", "\u{1F600}", "\uE000", "\u0221"
  ]
  const Picks = Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: interesting.length - 1 })))
  const CodePoints = Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 0x10ffff })))
  const SALT = new Uint8Array(16).fill(3)

  it.prop("a client with password p authenticates against a verifier made from p", [Picks, CodePoints], ([picks, codePoints]) => {
    const password = picks.map((i) => interesting[i]!).join("") + String.fromCodePoint(...codePoints.slice(0, 3))
    const verifier = ok(ScramVerifier.makeSync(password, { salt: SALT }))
    const options = { username: "u", verifier, mockSecret: SALT, serverNonce: "s" }
    const first = ok(ScramClient.start(["SCRAM-SHA-256"], { password, nonce: "c" }))
    const serverFirst = ok(ScramServer.receiveClientFirst(options, first.mechanism, first.message))
    const clientFinal = ok(ScramClient.respondSync(first.state, serverFirst.message))
    const serverFinal = ok(ScramServer.receiveClientFinal(serverFirst.state, clientFinal.message))
    ok(ScramClient.receiveServerFinal(clientFinal.state, serverFinal.message))
  }, { arbitrary: { runs: 40 } })
})
