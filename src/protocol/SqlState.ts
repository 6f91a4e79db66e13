/**
 * PostgreSQL SQLSTATE error codes.
 *
 * Every SQLSTATE code PostgreSQL 18 defines, with its PL/pgSQL condition name,
 * its class and whether it reports an error, a warning or success, plus a few
 * predicates clients need (is this code retryable, does it mean the
 * connection is gone).
 *
 * The constants, types and tables down to the "hand-written" marker are
 * GENERATED from PostgreSQL 18's
 * `src/backend/utils/errcodes.txt` (the copy PostgreSQL 18.4 installs as
 * `share/postgresql/errcodes.txt`, sha256 `6e8de346643ba84aa3c9c6a73360acfc7b2dfb89162c06c08ce9bf5bcd5bbcba`).
 * Do not edit them by hand; regenerate them from a newer errcodes.txt with
 * these rules (the lookup functions and predicates at the end are
 * hand-written):
 *
 * - one entry per distinct code, in file order; the 6 lines that only add
 *   a second C macro name for a code listed on another line
 *   (`ERRCODE_UNDEFINED_DATABASE` for 3D000, ...), with no condition name,
 *   are skipped;
 * - `name` is the condition name (the file's last column, as PL/pgSQL
 *   spells it); the key in {@link SqlState} is its camelCase, except for the
 *   5 condition names PostgreSQL gives to two codes each
 *   (`string_data_right_truncation` is both 01004 and 22001, ...), whose keys
 *   are prefixed with their class name
 *   (`warningStringDataRightTruncation`, `dataExceptionStringDataRightTruncation`);
 * - a class's `name` is its `Section:` title in snake_case, without the
 *   parenthesised remark and with `/` dropped ("PL/pgSQL Error" is
 *   `plpgsql_error`); `title` is the title as written.
 *
 * Pure TypeScript: no Node or Effect imports.
 *
 * @since 0.1.0
 */

/**
 * Whether a SQLSTATE reports an error, a warning or success (the E/W/S column
 * of errcodes.txt).
 *
 * @since 0.1.0
 * @category models
 */
export type SqlStateKind = "error" | "warning" | "success"

/**
 * Every SQLSTATE code PostgreSQL 18 defines, by camelCase condition name.
 *
 * @example
 * SqlState.uniqueViolation // "23505"
 *
 * @since 0.1.0
 * @category constants
 */
export const SqlState = {
  // Class 00 - Successful Completion
  successfulCompletion: "00000",

  // Class 01 - Warning
  warning: "01000",
  dynamicResultSetsReturned: "0100C",
  implicitZeroBitPadding: "01008",
  nullValueEliminatedInSetFunction: "01003",
  privilegeNotGranted: "01007",
  privilegeNotRevoked: "01006",
  warningStringDataRightTruncation: "01004",
  deprecatedFeature: "01P01",

  // Class 02 - No Data (this is also a warning class per the SQL standard)
  noData: "02000",
  noAdditionalDynamicResultSetsReturned: "02001",

  // Class 03 - SQL Statement Not Yet Complete
  sqlStatementNotYetComplete: "03000",

  // Class 08 - Connection Exception
  connectionException: "08000",
  connectionDoesNotExist: "08003",
  connectionFailure: "08006",
  sqlclientUnableToEstablishSqlconnection: "08001",
  sqlserverRejectedEstablishmentOfSqlconnection: "08004",
  transactionResolutionUnknown: "08007",
  protocolViolation: "08P01",

  // Class 09 - Triggered Action Exception
  triggeredActionException: "09000",

  // Class 0A - Feature Not Supported
  featureNotSupported: "0A000",

  // Class 0B - Invalid Transaction Initiation
  invalidTransactionInitiation: "0B000",

  // Class 0F - Locator Exception
  locatorException: "0F000",
  invalidLocatorSpecification: "0F001",

  // Class 0L - Invalid Grantor
  invalidGrantor: "0L000",
  invalidGrantOperation: "0LP01",

  // Class 0P - Invalid Role Specification
  invalidRoleSpecification: "0P000",

  // Class 0Z - Diagnostics Exception
  diagnosticsException: "0Z000",
  stackedDiagnosticsAccessedWithoutActiveHandler: "0Z002",

  // Class 10 - XQuery Error
  invalidArgumentForXquery: "10608",

  // Class 20 - Case Not Found
  caseNotFound: "20000",

  // Class 21 - Cardinality Violation
  cardinalityViolation: "21000",

  // Class 22 - Data Exception
  dataException: "22000",
  arraySubscriptError: "2202E",
  characterNotInRepertoire: "22021",
  datetimeFieldOverflow: "22008",
  divisionByZero: "22012",
  errorInAssignment: "22005",
  escapeCharacterConflict: "2200B",
  indicatorOverflow: "22022",
  intervalFieldOverflow: "22015",
  invalidArgumentForLogarithm: "2201E",
  invalidArgumentForNtileFunction: "22014",
  invalidArgumentForNthValueFunction: "22016",
  invalidArgumentForPowerFunction: "2201F",
  invalidArgumentForWidthBucketFunction: "2201G",
  invalidCharacterValueForCast: "22018",
  invalidDatetimeFormat: "22007",
  invalidEscapeCharacter: "22019",
  invalidEscapeOctet: "2200D",
  invalidEscapeSequence: "22025",
  nonstandardUseOfEscapeCharacter: "22P06",
  invalidIndicatorParameterValue: "22010",
  invalidParameterValue: "22023",
  invalidPrecedingOrFollowingSize: "22013",
  invalidRegularExpression: "2201B",
  invalidRowCountInLimitClause: "2201W",
  invalidRowCountInResultOffsetClause: "2201X",
  invalidTablesampleArgument: "2202H",
  invalidTablesampleRepeat: "2202G",
  invalidTimeZoneDisplacementValue: "22009",
  invalidUseOfEscapeCharacter: "2200C",
  mostSpecificTypeMismatch: "2200G",
  dataExceptionNullValueNotAllowed: "22004",
  nullValueNoIndicatorParameter: "22002",
  numericValueOutOfRange: "22003",
  sequenceGeneratorLimitExceeded: "2200H",
  stringDataLengthMismatch: "22026",
  dataExceptionStringDataRightTruncation: "22001",
  substringError: "22011",
  trimError: "22027",
  unterminatedCString: "22024",
  zeroLengthCharacterString: "2200F",
  floatingPointException: "22P01",
  invalidTextRepresentation: "22P02",
  invalidBinaryRepresentation: "22P03",
  badCopyFileFormat: "22P04",
  untranslatableCharacter: "22P05",
  notAnXmlDocument: "2200L",
  invalidXmlDocument: "2200M",
  invalidXmlContent: "2200N",
  invalidXmlComment: "2200S",
  invalidXmlProcessingInstruction: "2200T",
  duplicateJsonObjectKeyValue: "22030",
  invalidArgumentForSqlJsonDatetimeFunction: "22031",
  invalidJsonText: "22032",
  invalidSqlJsonSubscript: "22033",
  moreThanOneSqlJsonItem: "22034",
  noSqlJsonItem: "22035",
  nonNumericSqlJsonItem: "22036",
  nonUniqueKeysInAJsonObject: "22037",
  singletonSqlJsonItemRequired: "22038",
  sqlJsonArrayNotFound: "22039",
  sqlJsonMemberNotFound: "2203A",
  sqlJsonNumberNotFound: "2203B",
  sqlJsonObjectNotFound: "2203C",
  tooManyJsonArrayElements: "2203D",
  tooManyJsonObjectMembers: "2203E",
  sqlJsonScalarRequired: "2203F",
  sqlJsonItemCannotBeCastToTargetType: "2203G",

  // Class 23 - Integrity Constraint Violation
  integrityConstraintViolation: "23000",
  restrictViolation: "23001",
  notNullViolation: "23502",
  foreignKeyViolation: "23503",
  uniqueViolation: "23505",
  checkViolation: "23514",
  exclusionViolation: "23P01",

  // Class 24 - Invalid Cursor State
  invalidCursorState: "24000",

  // Class 25 - Invalid Transaction State
  invalidTransactionState: "25000",
  activeSqlTransaction: "25001",
  branchTransactionAlreadyActive: "25002",
  heldCursorRequiresSameIsolationLevel: "25008",
  inappropriateAccessModeForBranchTransaction: "25003",
  inappropriateIsolationLevelForBranchTransaction: "25004",
  noActiveSqlTransactionForBranchTransaction: "25005",
  readOnlySqlTransaction: "25006",
  schemaAndDataStatementMixingNotSupported: "25007",
  noActiveSqlTransaction: "25P01",
  inFailedSqlTransaction: "25P02",
  idleInTransactionSessionTimeout: "25P03",
  transactionTimeout: "25P04",

  // Class 26 - Invalid SQL Statement Name
  invalidSqlStatementName: "26000",

  // Class 27 - Triggered Data Change Violation
  triggeredDataChangeViolation: "27000",

  // Class 28 - Invalid Authorization Specification
  invalidAuthorizationSpecification: "28000",
  invalidPassword: "28P01",

  // Class 2B - Dependent Privilege Descriptors Still Exist
  dependentPrivilegeDescriptorsStillExist: "2B000",
  dependentObjectsStillExist: "2BP01",

  // Class 2D - Invalid Transaction Termination
  invalidTransactionTermination: "2D000",

  // Class 2F - SQL Routine Exception
  sqlRoutineException: "2F000",
  functionExecutedNoReturnStatement: "2F005",
  sqlRoutineExceptionModifyingSqlDataNotPermitted: "2F002",
  sqlRoutineExceptionProhibitedSqlStatementAttempted: "2F003",
  sqlRoutineExceptionReadingSqlDataNotPermitted: "2F004",

  // Class 34 - Invalid Cursor Name
  invalidCursorName: "34000",

  // Class 38 - External Routine Exception
  externalRoutineException: "38000",
  containingSqlNotPermitted: "38001",
  externalRoutineExceptionModifyingSqlDataNotPermitted: "38002",
  externalRoutineExceptionProhibitedSqlStatementAttempted: "38003",
  externalRoutineExceptionReadingSqlDataNotPermitted: "38004",

  // Class 39 - External Routine Invocation Exception
  externalRoutineInvocationException: "39000",
  invalidSqlstateReturned: "39001",
  externalRoutineInvocationExceptionNullValueNotAllowed: "39004",
  triggerProtocolViolated: "39P01",
  srfProtocolViolated: "39P02",
  eventTriggerProtocolViolated: "39P03",

  // Class 3B - Savepoint Exception
  savepointException: "3B000",
  invalidSavepointSpecification: "3B001",

  // Class 3D - Invalid Catalog Name
  invalidCatalogName: "3D000",

  // Class 3F - Invalid Schema Name
  invalidSchemaName: "3F000",

  // Class 40 - Transaction Rollback
  transactionRollback: "40000",
  transactionIntegrityConstraintViolation: "40002",
  serializationFailure: "40001",
  statementCompletionUnknown: "40003",
  deadlockDetected: "40P01",

  // Class 42 - Syntax Error or Access Rule Violation
  syntaxErrorOrAccessRuleViolation: "42000",
  syntaxError: "42601",
  insufficientPrivilege: "42501",
  cannotCoerce: "42846",
  groupingError: "42803",
  windowingError: "42P20",
  invalidRecursion: "42P19",
  invalidForeignKey: "42830",
  invalidName: "42602",
  nameTooLong: "42622",
  reservedName: "42939",
  datatypeMismatch: "42804",
  indeterminateDatatype: "42P18",
  collationMismatch: "42P21",
  indeterminateCollation: "42P22",
  wrongObjectType: "42809",
  generatedAlways: "428C9",
  undefinedColumn: "42703",
  undefinedFunction: "42883",
  undefinedTable: "42P01",
  undefinedParameter: "42P02",
  undefinedObject: "42704",
  duplicateColumn: "42701",
  duplicateCursor: "42P03",
  duplicateDatabase: "42P04",
  duplicateFunction: "42723",
  duplicatePreparedStatement: "42P05",
  duplicateSchema: "42P06",
  duplicateTable: "42P07",
  duplicateAlias: "42712",
  duplicateObject: "42710",
  ambiguousColumn: "42702",
  ambiguousFunction: "42725",
  ambiguousParameter: "42P08",
  ambiguousAlias: "42P09",
  invalidColumnReference: "42P10",
  invalidColumnDefinition: "42611",
  invalidCursorDefinition: "42P11",
  invalidDatabaseDefinition: "42P12",
  invalidFunctionDefinition: "42P13",
  invalidPreparedStatementDefinition: "42P14",
  invalidSchemaDefinition: "42P15",
  invalidTableDefinition: "42P16",
  invalidObjectDefinition: "42P17",

  // Class 44 - WITH CHECK OPTION Violation
  withCheckOptionViolation: "44000",

  // Class 53 - Insufficient Resources
  insufficientResources: "53000",
  diskFull: "53100",
  outOfMemory: "53200",
  tooManyConnections: "53300",
  configurationLimitExceeded: "53400",

  // Class 54 - Program Limit Exceeded
  programLimitExceeded: "54000",
  statementTooComplex: "54001",
  tooManyColumns: "54011",
  tooManyArguments: "54023",

  // Class 55 - Object Not In Prerequisite State
  objectNotInPrerequisiteState: "55000",
  objectInUse: "55006",
  cantChangeRuntimeParam: "55P02",
  lockNotAvailable: "55P03",
  unsafeNewEnumValueUsage: "55P04",

  // Class 57 - Operator Intervention
  operatorIntervention: "57000",
  queryCanceled: "57014",
  adminShutdown: "57P01",
  crashShutdown: "57P02",
  cannotConnectNow: "57P03",
  databaseDropped: "57P04",
  idleSessionTimeout: "57P05",

  // Class 58 - System Error (errors external to PostgreSQL itself)
  systemError: "58000",
  ioError: "58030",
  undefinedFile: "58P01",
  duplicateFile: "58P02",
  fileNameTooLong: "58P03",

  // Class F0 - Configuration File Error
  configFileError: "F0000",
  lockFileExists: "F0001",

  // Class HV - Foreign Data Wrapper Error (SQL/MED)
  fdwError: "HV000",
  fdwColumnNameNotFound: "HV005",
  fdwDynamicParameterValueNeeded: "HV002",
  fdwFunctionSequenceError: "HV010",
  fdwInconsistentDescriptorInformation: "HV021",
  fdwInvalidAttributeValue: "HV024",
  fdwInvalidColumnName: "HV007",
  fdwInvalidColumnNumber: "HV008",
  fdwInvalidDataType: "HV004",
  fdwInvalidDataTypeDescriptors: "HV006",
  fdwInvalidDescriptorFieldIdentifier: "HV091",
  fdwInvalidHandle: "HV00B",
  fdwInvalidOptionIndex: "HV00C",
  fdwInvalidOptionName: "HV00D",
  fdwInvalidStringLengthOrBufferLength: "HV090",
  fdwInvalidStringFormat: "HV00A",
  fdwInvalidUseOfNullPointer: "HV009",
  fdwTooManyHandles: "HV014",
  fdwOutOfMemory: "HV001",
  fdwNoSchemas: "HV00P",
  fdwOptionNameNotFound: "HV00J",
  fdwReplyHandle: "HV00K",
  fdwSchemaNotFound: "HV00Q",
  fdwTableNotFound: "HV00R",
  fdwUnableToCreateExecution: "HV00L",
  fdwUnableToCreateReply: "HV00M",
  fdwUnableToEstablishConnection: "HV00N",

  // Class P0 - PL/pgSQL Error
  plpgsqlError: "P0000",
  raiseException: "P0001",
  noDataFound: "P0002",
  tooManyRows: "P0003",
  assertFailure: "P0004",

  // Class XX - Internal Error
  internalError: "XX000",
  dataCorrupted: "XX001",
  indexCorrupted: "XX002",
} as const

/**
 * A SQLSTATE code PostgreSQL 18 defines.
 *
 * @since 0.1.0
 * @category models
 */
export type SqlState = (typeof SqlState)[keyof typeof SqlState]

/**
 * A SQLSTATE class code (the first two characters of a code) PostgreSQL 18
 * defines.
 *
 * @since 0.1.0
 * @category models
 */
export type SqlStateClassCode =
  | "00"
  | "01"
  | "02"
  | "03"
  | "08"
  | "09"
  | "0A"
  | "0B"
  | "0F"
  | "0L"
  | "0P"
  | "0Z"
  | "10"
  | "20"
  | "21"
  | "22"
  | "23"
  | "24"
  | "25"
  | "26"
  | "27"
  | "28"
  | "2B"
  | "2D"
  | "2F"
  | "34"
  | "38"
  | "39"
  | "3B"
  | "3D"
  | "3F"
  | "40"
  | "42"
  | "44"
  | "53"
  | "54"
  | "55"
  | "57"
  | "58"
  | "F0"
  | "HV"
  | "P0"
  | "XX"

/**
 * What is known about one SQLSTATE code.
 *
 * @since 0.1.0
 * @category models
 */
export interface SqlStateInfo {
  /** The five-character code, e.g. `"23505"`. */
  readonly code: SqlState
  /** The condition name as PL/pgSQL spells it, e.g. `"unique_violation"`. */
  readonly name: string
  /** The snake_case name of the code's class, e.g. `"integrity_constraint_violation"`. */
  readonly className: string
  /** The code's class, its first two characters, e.g. `"23"`. */
  readonly classCode: SqlStateClassCode
  /** Whether the code reports an error, a warning or success. */
  readonly kind: SqlStateKind
}

/**
 * One SQLSTATE class (a `Section:` of errcodes.txt).
 *
 * @since 0.1.0
 * @category models
 */
export interface SqlStateClass {
  /** The two-character class code, e.g. `"23"`. */
  readonly classCode: SqlStateClassCode
  /** The title in snake_case, e.g. `"integrity_constraint_violation"`. */
  readonly name: string
  /** The title as errcodes.txt writes it, e.g. `"Integrity Constraint Violation"`. */
  readonly title: string
}

const freezeValues = <T extends object>(table: T): Readonly<T> => {
  for (const value of Object.values(table)) Object.freeze(value)
  return Object.freeze(table)
}

/**
 * Every SQLSTATE class PostgreSQL 18 defines, by class code (frozen).
 *
 * Note that a class's `name` comes from its title, and is not always the
 * condition name of its generic `xx000` code: class F0 is
 * `configuration_file_error` (F0000 is `config_file_error`) and class HV is
 * `foreign_data_wrapper_error` (HV000 is `fdw_error`).
 *
 * @since 0.1.0
 * @category tables
 */
export const classes: { readonly [K in SqlStateClassCode]: SqlStateClass } = freezeValues({
  "00": { classCode: "00", name: "successful_completion", title: "Successful Completion" },
  "01": { classCode: "01", name: "warning", title: "Warning" },
  "02": { classCode: "02", name: "no_data", title: "No Data (this is also a warning class per the SQL standard)" },
  "03": { classCode: "03", name: "sql_statement_not_yet_complete", title: "SQL Statement Not Yet Complete" },
  "08": { classCode: "08", name: "connection_exception", title: "Connection Exception" },
  "09": { classCode: "09", name: "triggered_action_exception", title: "Triggered Action Exception" },
  "0A": { classCode: "0A", name: "feature_not_supported", title: "Feature Not Supported" },
  "0B": { classCode: "0B", name: "invalid_transaction_initiation", title: "Invalid Transaction Initiation" },
  "0F": { classCode: "0F", name: "locator_exception", title: "Locator Exception" },
  "0L": { classCode: "0L", name: "invalid_grantor", title: "Invalid Grantor" },
  "0P": { classCode: "0P", name: "invalid_role_specification", title: "Invalid Role Specification" },
  "0Z": { classCode: "0Z", name: "diagnostics_exception", title: "Diagnostics Exception" },
  "10": { classCode: "10", name: "xquery_error", title: "XQuery Error" },
  "20": { classCode: "20", name: "case_not_found", title: "Case Not Found" },
  "21": { classCode: "21", name: "cardinality_violation", title: "Cardinality Violation" },
  "22": { classCode: "22", name: "data_exception", title: "Data Exception" },
  "23": { classCode: "23", name: "integrity_constraint_violation", title: "Integrity Constraint Violation" },
  "24": { classCode: "24", name: "invalid_cursor_state", title: "Invalid Cursor State" },
  "25": { classCode: "25", name: "invalid_transaction_state", title: "Invalid Transaction State" },
  "26": { classCode: "26", name: "invalid_sql_statement_name", title: "Invalid SQL Statement Name" },
  "27": { classCode: "27", name: "triggered_data_change_violation", title: "Triggered Data Change Violation" },
  "28": { classCode: "28", name: "invalid_authorization_specification", title: "Invalid Authorization Specification" },
  "2B": { classCode: "2B", name: "dependent_privilege_descriptors_still_exist", title: "Dependent Privilege Descriptors Still Exist" },
  "2D": { classCode: "2D", name: "invalid_transaction_termination", title: "Invalid Transaction Termination" },
  "2F": { classCode: "2F", name: "sql_routine_exception", title: "SQL Routine Exception" },
  "34": { classCode: "34", name: "invalid_cursor_name", title: "Invalid Cursor Name" },
  "38": { classCode: "38", name: "external_routine_exception", title: "External Routine Exception" },
  "39": { classCode: "39", name: "external_routine_invocation_exception", title: "External Routine Invocation Exception" },
  "3B": { classCode: "3B", name: "savepoint_exception", title: "Savepoint Exception" },
  "3D": { classCode: "3D", name: "invalid_catalog_name", title: "Invalid Catalog Name" },
  "3F": { classCode: "3F", name: "invalid_schema_name", title: "Invalid Schema Name" },
  "40": { classCode: "40", name: "transaction_rollback", title: "Transaction Rollback" },
  "42": { classCode: "42", name: "syntax_error_or_access_rule_violation", title: "Syntax Error or Access Rule Violation" },
  "44": { classCode: "44", name: "with_check_option_violation", title: "WITH CHECK OPTION Violation" },
  "53": { classCode: "53", name: "insufficient_resources", title: "Insufficient Resources" },
  "54": { classCode: "54", name: "program_limit_exceeded", title: "Program Limit Exceeded" },
  "55": { classCode: "55", name: "object_not_in_prerequisite_state", title: "Object Not In Prerequisite State" },
  "57": { classCode: "57", name: "operator_intervention", title: "Operator Intervention" },
  "58": { classCode: "58", name: "system_error", title: "System Error (errors external to PostgreSQL itself)" },
  "F0": { classCode: "F0", name: "configuration_file_error", title: "Configuration File Error" },
  "HV": { classCode: "HV", name: "foreign_data_wrapper_error", title: "Foreign Data Wrapper Error (SQL/MED)" },
  "P0": { classCode: "P0", name: "plpgsql_error", title: "PL/pgSQL Error" },
  "XX": { classCode: "XX", name: "internal_error", title: "Internal Error" },
})

/**
 * The snake_case condition name of a constant: its camelCase name spelled
 * out, except for the five names PostgreSQL gives to two codes each, whose
 * constants carry their class as a prefix.
 */
const classPrefixed: Readonly<Record<string, string>> = {
  warningStringDataRightTruncation: "string_data_right_truncation",
  dataExceptionStringDataRightTruncation: "string_data_right_truncation",
  dataExceptionNullValueNotAllowed: "null_value_not_allowed",
  externalRoutineInvocationExceptionNullValueNotAllowed: "null_value_not_allowed",
  sqlRoutineExceptionModifyingSqlDataNotPermitted: "modifying_sql_data_not_permitted",
  externalRoutineExceptionModifyingSqlDataNotPermitted: "modifying_sql_data_not_permitted",
  sqlRoutineExceptionProhibitedSqlStatementAttempted: "prohibited_sql_statement_attempted",
  externalRoutineExceptionProhibitedSqlStatementAttempted: "prohibited_sql_statement_attempted",
  sqlRoutineExceptionReadingSqlDataNotPermitted: "reading_sql_data_not_permitted",
  externalRoutineExceptionReadingSqlDataNotPermitted: "reading_sql_data_not_permitted"
}

const conditionName = (constant: string): string =>
  classPrefixed[constant] ?? constant.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/**
 * Every SQLSTATE code PostgreSQL 18 defines, by code (frozen).
 *
 * @since 0.1.0
 * @category tables
 */
export const codes: { readonly [K in SqlState]: SqlStateInfo } = freezeValues(
  Object.fromEntries(
    Object.entries(SqlState).map(([constant, code]) => {
      const classCode = code.slice(0, 2) as SqlStateClassCode
      const info: SqlStateInfo = {
        code,
        name: conditionName(constant),
        className: classes[classCode].name,
        classCode,
        kind: classCode === "00" ? "success" : classCode === "01" || classCode === "02" ? "warning" : "error"
      }
      return [code, info]
    })
  ) as { readonly [K in SqlState]: SqlStateInfo }
)

// ---------------------------------------------------------------------------
// Everything below is hand-written (not generated).
// ---------------------------------------------------------------------------

const validCode = /^[0-9A-Z]{5}$/

/**
 * Whether `code` is well-formed: exactly five characters, each a digit or an
 * upper-case ASCII letter, as the SQL standard requires. Says nothing about
 * whether PostgreSQL defines the code (see {@link lookup}).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isValid = (code: string): boolean => validCode.test(code)

/**
 * What is known about `code`, or `undefined` when PostgreSQL 18 does not
 * define it (including when it is not a well-formed code).
 *
 * @example
 * lookup("23505")?.name // "unique_violation"
 *
 * @since 0.1.0
 * @category lookup
 */
export const lookup = (code: string): SqlStateInfo | undefined =>
  Object.hasOwn(codes, code) ? codes[code as SqlState] : undefined

/**
 * The class code of `code`: its first two characters (`"23"` for
 * `"23505"`). Does not check that `code` is valid.
 *
 * @since 0.1.0
 * @category lookup
 */
export const classOf = (code: string): string => code.slice(0, 2)

/**
 * The snake_case name of the class `code` belongs to, also for codes
 * PostgreSQL 18 does not define, so long as their class is one it defines
 * (`"23999"` gives `"integrity_constraint_violation"`): servers and newer
 * PostgreSQL versions may send codes that are not in {@link codes}, and the
 * class still tells a client what kind of failure it is. `undefined` when
 * `code` is not well-formed or its class is unknown.
 *
 * @since 0.1.0
 * @category lookup
 */
export const className = (code: string): string | undefined => {
  if (!isValid(code)) return undefined
  const classCode = classOf(code)
  return Object.hasOwn(classes, classCode) ? classes[classCode as SqlStateClassCode].name : undefined
}

// Retrying the same transaction from the start is the standard advice for
// exactly these two codes (PostgreSQL manual, "Serialization Failure
// Handling"): the transaction was rolled back because of a conflict with
// concurrent transactions, and a fresh attempt can succeed.
//
// Deliberately NOT retryable:
// - 55P03 lock_not_available: raised by NOWAIT and by lock_timeout, i.e.
//   because the application asked not to wait (long) for a lock. Retrying
//   automatically would override that choice (turning NOWAIT into a busy
//   wait), and the lock holder may keep it for arbitrarily long; the
//   application decides whether and when to try again.
// - 40000 transaction_rollback, 40002 transaction_integrity_constraint_violation,
//   40003 statement_completion_unknown: the rollback is not caused by a
//   transient conflict (40002 will fail the same way again), or the outcome
//   of the statement is unknown (40003), so a blind retry is not safe.
// - Connection errors (see isConnectionError): whether the interrupted
//   transaction committed may be unknown, so replaying it is not safe in
//   general; reconnecting is the caller's business.
const retryable: ReadonlySet<string> = new Set<string>([SqlState.serializationFailure, SqlState.deadlockDetected])

/**
 * Whether a transaction that failed with `code` may be retried as is, from
 * its start: `true` only for 40001 serialization_failure and 40P01
 * deadlock_detected. Notably `false` for 55P03 lock_not_available (the
 * application asked not to wait for the lock) and for connection errors (the
 * outcome of the interrupted transaction may be unknown).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (code: string): boolean => retryable.has(code)

const connectionShutdown: ReadonlySet<string> = new Set<string>([
  SqlState.adminShutdown,
  SqlState.crashShutdown,
  SqlState.cannotConnectNow
])

/**
 * Whether `code` means the connection failed or is going away: any code of
 * class 08 (connection exception, including 08P01 protocol_violation), 57P01
 * admin_shutdown, 57P02 crash_shutdown or 57P03 cannot_connect_now.
 *
 * Other codes may also come with the end of the session (for example 57P05
 * idle_session_timeout, 25P03 idle_in_transaction_session_timeout, 25P04
 * transaction_timeout, or authentication failures of class 28): a driver
 * should treat any ErrorResponse of severity FATAL or PANIC as closing the
 * connection, whatever its code.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isConnectionError = (code: string): boolean =>
  (isValid(code) && classOf(code) === "08") || connectionShutdown.has(code)
