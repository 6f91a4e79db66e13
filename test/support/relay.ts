/**
 * A TCP relay for fault-injection tests: listens on 127.0.0.1, and for every
 * client it accepts opens a connection to the target and forwards bytes both
 * ways. Faults are switched on from the test:
 *
 * - `stall(direction, which)`: stop forwarding (bytes and the end of the
 *   stream are held, not lost) in one or both directions, on the open
 *   connections and, unless `which` is "open", on future ones too;
 *   `resume()` delivers what was held and forwards again.
 * - `blackhole(true)`: new clients are accepted but never connected to the
 *   target; what they send is read and discarded (a server that never
 *   answers the startup).
 * - `drop()`: every open pair is destroyed with a TCP RST on both sides.
 * - `dropAfter(direction, bytes)`: the same, once that many more bytes have
 *   been forwarded in that direction (a connection lost mid-result); nothing
 *   after those bytes is forwarded.
 * - `truncateNextTlsRecord()`: the next TLS record from the server is cut in
 *   the middle (header and half its body forwarded), then the client's side
 *   is closed with a FIN and the server's destroyed.
 * - `closeAtTlsRecord(direction, contentType)`: when the next TLS record of
 *   that content type (22 handshake, 23 application data...) starts in that
 *   direction, it is not forwarded: the client's side gets a FIN and the
 *   server's is destroyed (TLS 1.2 record types are in the clear; TLS 1.3
 *   sends everything after the handshake as 23).
 *
 * The TLS faults need `tls`: how many bytes precede the first TLS record in
 * each direction (PostgreSQL's SSLRequest: 8 to the server, 1 back).
 *
 * Plain `node:net`; no vitest imports. `close()` destroys every pair and
 * stops listening.
 */
import { Buffer } from "node:buffer"
import * as Net from "node:net"

export type Direction = "toServer" | "toClient"

export interface RelayOptions {
  readonly targetPort: number
  readonly targetHost?: string
  /** Bytes before the first TLS record in each direction; enables the TLS faults. */
  readonly tls?: { readonly toServer: number; readonly toClient: number }
}

export interface Relay {
  readonly host: "127.0.0.1"
  readonly port: number
  /** Clients accepted so far. */
  readonly accepted: () => number
  /** Pairs currently open (not yet closed or dropped). */
  readonly open: () => number
  /** Bytes forwarded in a direction, over all connections. */
  readonly forwarded: (direction: Direction) => number
  /** Bytes held by a stall in a direction, over all open connections. */
  readonly held: (direction: Direction) => number
  readonly stall: (direction: Direction | "both", which?: "open" | "all") => void
  readonly resume: () => void
  readonly blackhole: (on: boolean) => void
  /** Destroys every open pair with RST; returns how many. */
  readonly drop: () => number
  readonly dropAfter: (direction: Direction, bytes: number) => void
  readonly truncateNextTlsRecord: () => void
  readonly closeAtTlsRecord: (direction: Direction, contentType: number) => void
  /** How many faults fired, by kind (drop, dropAfter, truncate, closeAtRecord). */
  readonly fired: () => Readonly<Record<string, number>>
  readonly close: () => Promise<void>
}

/** Where a direction's byte stream is, in TLS record terms. */
interface RecordState {
  skip: number
  header: Array<number>
  body: number
}

interface Pair {
  readonly stalled: Record<Direction, boolean>
  /** Set when a fault ended the pair: nothing more is forwarded. */
  dead: boolean
  readonly client: Net.Socket
  readonly server: Net.Socket | undefined
  readonly held: Record<Direction, Array<Buffer>>
  /** A FIN that arrived while its direction was stalled. */
  readonly heldEnd: Record<Direction, boolean>
  readonly records: Record<Direction, RecordState>
}

/** A TLS fault armed for the next record starting in `direction` (of `contentType`, if given). */
interface RecordFault {
  readonly kind: "truncate" | "closeAtRecord"
  readonly direction: Direction
  readonly contentType: number | undefined
}

export const startRelay = async (options: RelayOptions): Promise<Relay> => {
  const targetHost = options.targetHost ?? "127.0.0.1"
  const pairs = new Set<Pair>()
  /** Whether new connections start stalled. */
  const stalled: Record<Direction, boolean> = { toServer: false, toClient: false }
  const forwarded: Record<Direction, number> = { toServer: 0, toClient: 0 }
  const fired: Record<string, number> = {}
  let blackholed = false
  let accepted = 0
  let dropArm: { direction: Direction; remaining: number } | undefined
  let recordFault: RecordFault | undefined

  const count = (kind: string) => {
    fired[kind] = (fired[kind] ?? 0) + 1
  }

  const destroyPair = (pair: Pair, reset: boolean) => {
    pair.dead = true
    pairs.delete(pair)
    for (const socket of [pair.client, pair.server]) {
      if (socket === undefined || socket.destroyed) continue
      if (reset) socket.resetAndDestroy()
      else socket.destroy()
    }
  }

  const dropAll = (): number => {
    const n = pairs.size
    for (const pair of [...pairs]) destroyPair(pair, true)
    return n
  }

  /** Ends the pair as a server that closes would: the client gets what was cut and a FIN. */
  const closeAsServer = (pair: Pair, toClient: Buffer | undefined) => {
    pair.dead = true
    pairs.delete(pair)
    pair.server?.destroy()
    if (toClient === undefined) pair.client.end()
    else pair.client.end(toClient)
  }

  /**
   * Follows the TLS record framing of `chunk`; when the armed record fault
   * matches a record starting here, returns how many bytes of the chunk may
   * still be forwarded before the fault takes effect.
   */
  const trackRecords = (pair: Pair, direction: Direction, chunk: Buffer): { readonly at: number; readonly fault: RecordFault } | undefined => {
    const state = pair.records[direction]
    let i = 0
    while (i < chunk.length) {
      if (state.skip > 0) {
        const n = Math.min(state.skip, chunk.length - i)
        state.skip -= n
        i += n
        continue
      }
      if (state.body > 0) {
        const n = Math.min(state.body, chunk.length - i)
        state.body -= n
        i += n
        continue
      }
      const fault = recordFault
      if (state.header.length === 0 && fault !== undefined && fault.direction === direction) {
        if (fault.contentType === undefined || fault.contentType === chunk[i]) {
          recordFault = undefined
          if (fault.kind === "closeAtRecord") return { at: i, fault }
          // The header and half the body (at least one byte of it).
          const length = i + 5 <= chunk.length ? chunk.readUInt16BE(i + 3) : 2
          return { at: Math.min(chunk.length, i + 5 + Math.max(1, Math.floor(length / 2))), fault }
        }
      }
      state.header.push(chunk[i]!)
      i++
      if (state.header.length === 5) {
        state.body = (state.header[3]! << 8) | state.header[4]!
        state.header = []
      }
    }
    return undefined
  }

  const deliver = (pair: Pair, direction: Direction, chunk: Buffer) => {
    const target = direction === "toServer" ? pair.server : pair.client
    if (target === undefined || target.destroyed || pair.dead) return
    let bytes = chunk
    let dropNow = false
    if (dropArm !== undefined && dropArm.direction === direction) {
      if (bytes.length >= dropArm.remaining) {
        bytes = bytes.subarray(0, dropArm.remaining)
        dropNow = true
      } else {
        dropArm.remaining -= bytes.length
      }
    }
    if (options.tls !== undefined) {
      const hit = trackRecords(pair, direction, bytes)
      if (hit !== undefined) {
        count(hit.fault.kind)
        const cut = bytes.subarray(0, hit.at)
        forwarded[direction] += cut.length
        if (direction === "toClient") closeAsServer(pair, cut)
        else {
          pair.server?.write(cut)
          closeAsServer(pair, undefined)
        }
        return
      }
    }
    if (bytes.length > 0) {
      forwarded[direction] += bytes.length
      target.write(bytes)
    }
    if (dropNow) {
      dropArm = undefined
      count("dropAfter")
      for (const open of pairs) open.dead = true
      // Let the bytes just written leave before the RST.
      setImmediate(() => dropAll())
    }
  }

  const onData = (pair: Pair, direction: Direction) => (chunk: Buffer) => {
    if (pair.stalled[direction]) pair.held[direction].push(chunk)
    else deliver(pair, direction, chunk)
  }

  const endTowards = (pair: Pair, direction: Direction) => {
    const target = direction === "toServer" ? pair.server : pair.client
    if (target !== undefined && !target.destroyed && !target.writableEnded && !pair.dead) target.end()
  }

  const onEnd = (pair: Pair, direction: Direction) => () => {
    if (pair.stalled[direction]) pair.heldEnd[direction] = true
    else endTowards(pair, direction)
  }

  const flush = (pair: Pair) => {
    for (const direction of ["toServer", "toClient"] as const) {
      if (pair.stalled[direction]) continue
      const held = pair.held[direction].splice(0)
      for (const chunk of held) deliver(pair, direction, chunk)
      if (pair.heldEnd[direction]) {
        pair.heldEnd[direction] = false
        endTowards(pair, direction)
      }
    }
  }

  const newPair = (client: Net.Socket, server: Net.Socket | undefined): Pair => ({
    stalled: { ...stalled },
    dead: false,
    client,
    server,
    held: { toServer: [], toClient: [] },
    heldEnd: { toServer: false, toClient: false },
    records: {
      toServer: { skip: options.tls?.toServer ?? 0, header: [], body: 0 },
      toClient: { skip: options.tls?.toClient ?? 0, header: [], body: 0 }
    }
  })

  const listener = Net.createServer({ allowHalfOpen: true }, (client) => {
    accepted++
    client.on("error", () => undefined)
    if (blackholed) {
      const pair = newPair(client, undefined)
      pairs.add(pair)
      client.on("data", () => undefined)
      client.on("end", () => client.end())
      client.on("close", () => pairs.delete(pair))
      return
    }
    const upstream = Net.createConnection({ host: targetHost, port: options.targetPort, allowHalfOpen: true })
    upstream.setNoDelay(true)
    client.setNoDelay(true)
    upstream.on("error", () => undefined)
    const pair = newPair(client, upstream)
    pairs.add(pair)
    client.on("data", onData(pair, "toServer"))
    upstream.on("data", onData(pair, "toClient"))
    client.on("end", onEnd(pair, "toServer"))
    upstream.on("end", onEnd(pair, "toClient"))
    // An abortive close (RST, or an error) of one side is passed on as one;
    // a pair is open until both sides closed.
    const closed = { client: false, server: false }
    for (const [socket, side, direction] of [[client, "client", "toServer"], [upstream, "server", "toClient"]] as const) {
      socket.on("close", (hadError) => {
        closed[side] = true
        const peer = side === "client" ? upstream : client
        if (hadError) {
          pair.dead = true
          if (!peer.destroyed) peer.resetAndDestroy()
        } else if (!pair.stalled[direction]) {
          endTowards(pair, direction)
        }
        if (pair.dead || (closed.client && closed.server)) pairs.delete(pair)
      })
    }
  })
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject)
    listener.listen(0, "127.0.0.1", () => resolve())
  })
  const port = (listener.address() as Net.AddressInfo).port

  return {
    host: "127.0.0.1",
    port,
    accepted: () => accepted,
    open: () => pairs.size,
    forwarded: (direction) => forwarded[direction],
    held: (direction) => {
      let n = 0
      for (const pair of pairs) for (const chunk of pair.held[direction]) n += chunk.length
      return n
    },
    stall: (direction, which = "all") => {
      const targets: Array<Record<Direction, boolean>> = [...pairs].map((pair) => pair.stalled)
      if (which === "all") targets.push(stalled)
      for (const flags of targets) {
        if (direction === "both" || direction === "toServer") flags.toServer = true
        if (direction === "both" || direction === "toClient") flags.toClient = true
      }
    },
    resume: () => {
      stalled.toServer = false
      stalled.toClient = false
      for (const pair of [...pairs]) {
        pair.stalled.toServer = false
        pair.stalled.toClient = false
        flush(pair)
      }
    },
    blackhole: (on) => {
      blackholed = on
    },
    drop: () => {
      count("drop")
      return dropAll()
    },
    dropAfter: (direction, bytes) => {
      dropArm = { direction, remaining: bytes }
    },
    truncateNextTlsRecord: () => {
      recordFault = { kind: "truncate", direction: "toClient", contentType: undefined }
    },
    closeAtTlsRecord: (direction, contentType) => {
      recordFault = { kind: "closeAtRecord", direction, contentType }
    },
    fired: () => ({ ...fired }),
    close: async () => {
      dropArm = undefined
      recordFault = undefined
      for (const pair of [...pairs]) destroyPair(pair, false)
      await new Promise<void>((resolve) => listener.close(() => resolve()))
    }
  }
}
