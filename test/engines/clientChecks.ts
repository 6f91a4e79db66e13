/**
 * The client checks every engine must pass, with pools of 8 from
 * node-postgres and postgres.js: settings stay in their session, two
 * sessions may prepare the same statement name, concurrent increments in
 * transactions lose no update, LISTEN on one session receives NOTIFY from
 * another (and only the channels it listens on), COPY in and out.
 */
import { Readable, Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import pg from "pg"
import { from as copyFrom, to as copyTo } from "pg-copy-streams"
import postgres from "postgres"
import { expect } from "vitest"

export interface Target {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password?: string | undefined
  readonly database: string
  readonly ssl?: { readonly ca: string } | undefined
}

/** A name no other run uses (the proxy tests share one PostgreSQL). */
export const unique = (prefix: string): string => `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`

const pgPool = (target: Target) =>
  new pg.Pool({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    max: 8,
    ...(target.ssl === undefined ? {} : { ssl: { ca: target.ssl.ca, servername: "localhost" } })
  })

const nextNotification = (client: pg.PoolClient) =>
  new Promise<pg.Notification>((resolve) => client.once("notification", resolve))

export const pgChecks = async (target: Target): Promise<void> => {
  const pool = pgPool(target)
  const table = unique("counter")
  const copyTable = unique("copied")
  try {
    const clients = await Promise.all(Array.from({ length: 8 }, () => pool.connect()))
    const [a, b, c] = clients as [pg.PoolClient, pg.PoolClient, pg.PoolClient]

    // SET on one session is invisible to another, and survives the other's turns.
    await a.query("SET application_name = 'alpha'")
    await a.query("SET statement_timeout = '7s'")
    await b.query("SET application_name = 'beta'")
    expect((await b.query("SHOW statement_timeout")).rows[0].statement_timeout).toBe("0")
    expect((await a.query("SHOW application_name")).rows[0].application_name).toBe("alpha")
    expect((await b.query("SHOW application_name")).rows[0].application_name).toBe("beta")
    expect((await a.query("SHOW statement_timeout")).rows[0].statement_timeout).toBe("7s")
    await a.query("RESET ALL")

    // Two sessions prepare the same name with different statements; each keeps its own.
    expect((await a.query({ name: "s1", text: "SELECT 1 AS v" })).rows).toEqual([{ v: 1 }])
    expect((await b.query({ name: "s1", text: "SELECT 'two'::text AS v" })).rows).toEqual([{ v: "two" }])
    expect((await a.query({ name: "s1", text: "SELECT 1 AS v" })).rows).toEqual([{ v: 1 }])
    expect((await b.query({ name: "s1", text: "SELECT 'two'::text AS v" })).rows).toEqual([{ v: "two" }])

    // Concurrent read-modify-write transactions lose no update.
    await a.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL)`)
    await a.query(`INSERT INTO ${table} VALUES (1, 0)`)
    const rounds = 15
    await Promise.all(clients.map(async (client) => {
      for (let i = 0; i < rounds; i++) {
        await client.query("BEGIN")
        const { rows } = await client.query(`SELECT v FROM ${table} WHERE id = 1 FOR UPDATE`)
        await client.query(`UPDATE ${table} SET v = $1 WHERE id = 1`, [rows[0].v + 1])
        await client.query("COMMIT")
      }
    }))
    expect((await c.query(`SELECT v FROM ${table}`)).rows[0].v).toBe(8 * rounds)

    // LISTEN on a receives b's NOTIFY; c, listening elsewhere, gets only its channel.
    const channel = unique("ch")
    await a.query(`LISTEN ${channel}`)
    await c.query(`LISTEN ${channel}_other`)
    const forA = nextNotification(a)
    const forC = nextNotification(c)
    await b.query(`NOTIFY ${channel}, 'hello'`)
    await b.query(`SELECT pg_notify('${channel}_other', 'second')`)
    const gotA = await forA
    expect([gotA.channel, gotA.payload]).toEqual([channel, "hello"])
    const gotC = await forC
    expect([gotC.channel, gotC.payload]).toEqual([`${channel}_other`, "second"])
    await a.query(`UNLISTEN ${channel}`)
    await c.query("UNLISTEN *")

    // COPY in and out.
    await a.query(`CREATE TABLE ${copyTable} (id int, name text)`)
    const lines = Array.from({ length: 500 }, (_, i) => `${i}\tname ${i}\n`)
    await pipeline(Readable.from(lines), a.query(copyFrom(`COPY ${copyTable} FROM STDIN`)))
    expect((await b.query(`SELECT count(*)::int AS n, sum(id)::int AS s FROM ${copyTable}`)).rows[0]).toEqual({ n: 500, s: (499 * 500) / 2 })
    const chunks: Array<Buffer> = []
    await pipeline(b.query(copyTo(`COPY (SELECT * FROM ${copyTable} ORDER BY id) TO STDOUT`)), new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk)
        done()
      }
    }))
    expect(Buffer.concat(chunks).toString()).toBe(lines.join(""))

    await a.query(`DROP TABLE ${table}, ${copyTable}`)
    for (const client of clients) client.release()
  } finally {
    await pool.end()
  }
}

export const postgresJsChecks = async (target: Target): Promise<void> => {
  const sql = postgres({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    max: 8,
    onnotice: () => {},
    ...(target.ssl === undefined ? {} : { ssl: { ca: target.ssl.ca, servername: "localhost" } })
  })
  const table = unique("pjs_counter")
  try {
    // Settings stay in their session.
    const one = await sql.reserve()
    const two = await sql.reserve()
    await one`SET search_path = pg_catalog, public`
    expect((await two`SHOW search_path`)[0]!.search_path).not.toBe("pg_catalog, public")
    expect((await one`SHOW search_path`)[0]!.search_path).toBe("pg_catalog, public")
    await one`RESET search_path`
    one.release()
    two.release()

    // Concurrent transactions: every increment counts.
    await sql`CREATE TABLE ${sql(table)} (id int PRIMARY KEY, v int NOT NULL)`
    await sql`INSERT INTO ${sql(table)} VALUES (1, 0)`
    await Promise.all(Array.from({ length: 40 }, () =>
      sql.begin(async (tx) => {
        const [row] = await tx`SELECT v FROM ${sql(table)} WHERE id = 1 FOR UPDATE`
        await tx`UPDATE ${sql(table)} SET v = ${row!.v + 1} WHERE id = 1`
      })))
    expect((await sql`SELECT v FROM ${sql(table)}`)[0]!.v).toBe(40)

    // LISTEN / NOTIFY across sessions.
    const channel = unique("pjs")
    let deliver: (payload: string) => void = () => {}
    const received = new Promise<string>((resolve) => {
      deliver = resolve
    })
    await sql.listen(channel, (payload) => deliver(payload))
    await sql.notify(channel, "from postgres.js")
    expect(await received).toBe("from postgres.js")

    // COPY in and out through its streams.
    const writable = await sql`COPY ${sql(table)} (id, v) FROM STDIN`.writable()
    await pipeline(Readable.from(["2\t20\n", "3\t30\n"]), writable)
    const readable = await sql`COPY (SELECT id, v FROM ${sql(table)} ORDER BY id) TO STDOUT`.readable()
    let text = ""
    for await (const chunk of readable) text += chunk.toString()
    expect(text).toBe("1\t40\n2\t20\n3\t30\n")
    await sql`DROP TABLE ${sql(table)}`
  } finally {
    await sql.end({ timeout: 5 })
  }
}
