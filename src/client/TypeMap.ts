/**
 * How values of the built-in types travel when no connection-specific
 * registry is in play: which result columns are asked for in binary and how
 * they decode, how text results decode, and how a JavaScript parameter is
 * encoded for the type the server described. Every function delegates to
 * one shared `TypeRegistry` with the default options (timestamps as
 * `Date`, dates as strings) that knows the built-in types only; custom
 * types read as text through it. See `types/Registry.ts` for a registry
 * that resolves custom types, and docs/types.md for the mapping.
 *
 * @since 0.1.0
 */
import type { ColumnDecoder } from "../protocol/RowDecoder.ts"
import type { Writer } from "../protocol/Writer.ts"
import { TypeRegistry } from "./types/Registry.ts"

export {
  /**
   * OIDs of the built-in types.
   *
   * @since 0.1.0
   * @category constants
   */
  Oid
} from "./types/Oids.ts"

/** The registry behind the functions below: built-in types only, default options. */
const builtins = new TypeRegistry()

/**
 * How a result column of type `oid` is requested and decoded.
 *
 * @since 0.1.0
 * @category decoding
 */
export const resultColumn = (oid: number): { readonly format: 0 | 1; readonly decoder: ColumnDecoder } => builtins.column(oid)

/**
 * How a column of type `oid` sent in text format (the simple protocol) decodes.
 *
 * @since 0.1.0
 * @category decoding
 */
export const textColumn = (oid: number): ColumnDecoder => builtins.textColumn(oid)

/**
 * The format code (0 text, 1 binary) a parameter value is sent in for a
 * parameter of type `oid`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const parameterFormat = (oid: number, value: unknown): 0 | 1 => builtins.parameterFormat(oid, value)

/**
 * Writes one Bind parameter (its length and bytes) for a parameter of type
 * `oid`, in the format `parameterFormat` chose. A value that does not fit
 * the type fails with `EncodeFailed` (a ParameterError of the query).
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeValue = (w: Writer, oid: number, value: unknown): void => builtins.writeValue(w, oid, value)
