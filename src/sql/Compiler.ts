/**
 * The `effect/sql` statement compiler for PostgreSQL: `$1, $2, ...`
 * placeholders, identifiers in double quotes (a `"` inside doubled; a dot
 * separates schema and name, as `sql("app.users")` → `"app"."users"`),
 * `sql.updateValues` as `(VALUES ...) AS alias(columns)`, and the `json`
 * fragment as a `jsonb` parameter.
 *
 * @since 0.1.0
 */
import * as Statement from "effect/sql/Statement"

/**
 * A value sent as `jsonb`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgJson extends Statement.Custom<"PgJson", unknown> {}

const pgJson = Statement.custom<PgJson>("PgJson")

/**
 * A fragment holding `value` as a `jsonb` parameter (`$n::jsonb`), for
 * places where the server cannot infer the type from the column.
 *
 * @since 0.1.0
 * @category constructors
 */
export const json = (value: unknown): Statement.Fragment => Statement.fragment([pgJson(value, undefined, undefined)])

/**
 * A PostgreSQL identifier: each dot-separated part in double quotes, with
 * double quotes inside doubled.
 *
 * @since 0.1.0
 * @category identifiers
 */
export const quoteIdentifier = (name: string): string => name.split(".").map((part) => `"${part.replaceAll("\"", "\"\"")}"`).join(".")

/**
 * The compiler. `transformQueryNames` renames identifiers (e.g. camelCase
 * to snake_case); with `transformJson` it also renames the keys of `json`
 * fragments.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeCompiler = (transformQueryNames?: (name: string) => string, transformJson = true): Statement.Compiler => {
  const transformValue = transformJson && transformQueryNames !== undefined
    ? Statement.defaultTransforms(transformQueryNames).value
    : undefined
  return Statement.makeCompiler<PgJson>({
    dialect: "pg",
    placeholder: (index) => `$${index}`,
    onIdentifier: transformQueryNames === undefined
      ? (name) => quoteIdentifier(name)
      : (name, withoutTransform) => quoteIdentifier(withoutTransform ? name : transformQueryNames(name)),
    onRecordUpdate: (placeholders, alias, columns, values, returning) => [
      `(VALUES ${placeholders}) AS ${alias}${columns}${returning === undefined ? "" : ` RETURNING ${returning[0]}`}`,
      returning === undefined ? values.flat() : [...values.flat(), ...returning[1]]
    ],
    onCustom: (custom, placeholder, withoutTransform) => {
      const value = withoutTransform || transformValue === undefined ? custom.paramA : transformValue(custom.paramA)
      // The jsonb encoder takes a string as JSON text: a string value is sent as its JSON form.
      return [`${placeholder(undefined)}::jsonb`, [typeof value === "string" ? JSON.stringify(value) : value]]
    }
  })
}
