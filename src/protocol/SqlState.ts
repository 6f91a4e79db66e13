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
 * Every SQLSTATE code PostgreSQL 18 defines, by code (frozen).
 *
 * @since 0.1.0
 * @category tables
 */
export const codes: { readonly [K in SqlState]: SqlStateInfo } = freezeValues({
  "00000": { code: "00000", name: "successful_completion", className: "successful_completion", classCode: "00", kind: "success" },
  "01000": { code: "01000", name: "warning", className: "warning", classCode: "01", kind: "warning" },
  "0100C": { code: "0100C", name: "dynamic_result_sets_returned", className: "warning", classCode: "01", kind: "warning" },
  "01008": { code: "01008", name: "implicit_zero_bit_padding", className: "warning", classCode: "01", kind: "warning" },
  "01003": { code: "01003", name: "null_value_eliminated_in_set_function", className: "warning", classCode: "01", kind: "warning" },
  "01007": { code: "01007", name: "privilege_not_granted", className: "warning", classCode: "01", kind: "warning" },
  "01006": { code: "01006", name: "privilege_not_revoked", className: "warning", classCode: "01", kind: "warning" },
  "01004": { code: "01004", name: "string_data_right_truncation", className: "warning", classCode: "01", kind: "warning" },
  "01P01": { code: "01P01", name: "deprecated_feature", className: "warning", classCode: "01", kind: "warning" },
  "02000": { code: "02000", name: "no_data", className: "no_data", classCode: "02", kind: "warning" },
  "02001": { code: "02001", name: "no_additional_dynamic_result_sets_returned", className: "no_data", classCode: "02", kind: "warning" },
  "03000": { code: "03000", name: "sql_statement_not_yet_complete", className: "sql_statement_not_yet_complete", classCode: "03", kind: "error" },
  "08000": { code: "08000", name: "connection_exception", className: "connection_exception", classCode: "08", kind: "error" },
  "08003": { code: "08003", name: "connection_does_not_exist", className: "connection_exception", classCode: "08", kind: "error" },
  "08006": { code: "08006", name: "connection_failure", className: "connection_exception", classCode: "08", kind: "error" },
  "08001": { code: "08001", name: "sqlclient_unable_to_establish_sqlconnection", className: "connection_exception", classCode: "08", kind: "error" },
  "08004": { code: "08004", name: "sqlserver_rejected_establishment_of_sqlconnection", className: "connection_exception", classCode: "08", kind: "error" },
  "08007": { code: "08007", name: "transaction_resolution_unknown", className: "connection_exception", classCode: "08", kind: "error" },
  "08P01": { code: "08P01", name: "protocol_violation", className: "connection_exception", classCode: "08", kind: "error" },
  "09000": { code: "09000", name: "triggered_action_exception", className: "triggered_action_exception", classCode: "09", kind: "error" },
  "0A000": { code: "0A000", name: "feature_not_supported", className: "feature_not_supported", classCode: "0A", kind: "error" },
  "0B000": { code: "0B000", name: "invalid_transaction_initiation", className: "invalid_transaction_initiation", classCode: "0B", kind: "error" },
  "0F000": { code: "0F000", name: "locator_exception", className: "locator_exception", classCode: "0F", kind: "error" },
  "0F001": { code: "0F001", name: "invalid_locator_specification", className: "locator_exception", classCode: "0F", kind: "error" },
  "0L000": { code: "0L000", name: "invalid_grantor", className: "invalid_grantor", classCode: "0L", kind: "error" },
  "0LP01": { code: "0LP01", name: "invalid_grant_operation", className: "invalid_grantor", classCode: "0L", kind: "error" },
  "0P000": { code: "0P000", name: "invalid_role_specification", className: "invalid_role_specification", classCode: "0P", kind: "error" },
  "0Z000": { code: "0Z000", name: "diagnostics_exception", className: "diagnostics_exception", classCode: "0Z", kind: "error" },
  "0Z002": { code: "0Z002", name: "stacked_diagnostics_accessed_without_active_handler", className: "diagnostics_exception", classCode: "0Z", kind: "error" },
  "10608": { code: "10608", name: "invalid_argument_for_xquery", className: "xquery_error", classCode: "10", kind: "error" },
  "20000": { code: "20000", name: "case_not_found", className: "case_not_found", classCode: "20", kind: "error" },
  "21000": { code: "21000", name: "cardinality_violation", className: "cardinality_violation", classCode: "21", kind: "error" },
  "22000": { code: "22000", name: "data_exception", className: "data_exception", classCode: "22", kind: "error" },
  "2202E": { code: "2202E", name: "array_subscript_error", className: "data_exception", classCode: "22", kind: "error" },
  "22021": { code: "22021", name: "character_not_in_repertoire", className: "data_exception", classCode: "22", kind: "error" },
  "22008": { code: "22008", name: "datetime_field_overflow", className: "data_exception", classCode: "22", kind: "error" },
  "22012": { code: "22012", name: "division_by_zero", className: "data_exception", classCode: "22", kind: "error" },
  "22005": { code: "22005", name: "error_in_assignment", className: "data_exception", classCode: "22", kind: "error" },
  "2200B": { code: "2200B", name: "escape_character_conflict", className: "data_exception", classCode: "22", kind: "error" },
  "22022": { code: "22022", name: "indicator_overflow", className: "data_exception", classCode: "22", kind: "error" },
  "22015": { code: "22015", name: "interval_field_overflow", className: "data_exception", classCode: "22", kind: "error" },
  "2201E": { code: "2201E", name: "invalid_argument_for_logarithm", className: "data_exception", classCode: "22", kind: "error" },
  "22014": { code: "22014", name: "invalid_argument_for_ntile_function", className: "data_exception", classCode: "22", kind: "error" },
  "22016": { code: "22016", name: "invalid_argument_for_nth_value_function", className: "data_exception", classCode: "22", kind: "error" },
  "2201F": { code: "2201F", name: "invalid_argument_for_power_function", className: "data_exception", classCode: "22", kind: "error" },
  "2201G": { code: "2201G", name: "invalid_argument_for_width_bucket_function", className: "data_exception", classCode: "22", kind: "error" },
  "22018": { code: "22018", name: "invalid_character_value_for_cast", className: "data_exception", classCode: "22", kind: "error" },
  "22007": { code: "22007", name: "invalid_datetime_format", className: "data_exception", classCode: "22", kind: "error" },
  "22019": { code: "22019", name: "invalid_escape_character", className: "data_exception", classCode: "22", kind: "error" },
  "2200D": { code: "2200D", name: "invalid_escape_octet", className: "data_exception", classCode: "22", kind: "error" },
  "22025": { code: "22025", name: "invalid_escape_sequence", className: "data_exception", classCode: "22", kind: "error" },
  "22P06": { code: "22P06", name: "nonstandard_use_of_escape_character", className: "data_exception", classCode: "22", kind: "error" },
  "22010": { code: "22010", name: "invalid_indicator_parameter_value", className: "data_exception", classCode: "22", kind: "error" },
  "22023": { code: "22023", name: "invalid_parameter_value", className: "data_exception", classCode: "22", kind: "error" },
  "22013": { code: "22013", name: "invalid_preceding_or_following_size", className: "data_exception", classCode: "22", kind: "error" },
  "2201B": { code: "2201B", name: "invalid_regular_expression", className: "data_exception", classCode: "22", kind: "error" },
  "2201W": { code: "2201W", name: "invalid_row_count_in_limit_clause", className: "data_exception", classCode: "22", kind: "error" },
  "2201X": { code: "2201X", name: "invalid_row_count_in_result_offset_clause", className: "data_exception", classCode: "22", kind: "error" },
  "2202H": { code: "2202H", name: "invalid_tablesample_argument", className: "data_exception", classCode: "22", kind: "error" },
  "2202G": { code: "2202G", name: "invalid_tablesample_repeat", className: "data_exception", classCode: "22", kind: "error" },
  "22009": { code: "22009", name: "invalid_time_zone_displacement_value", className: "data_exception", classCode: "22", kind: "error" },
  "2200C": { code: "2200C", name: "invalid_use_of_escape_character", className: "data_exception", classCode: "22", kind: "error" },
  "2200G": { code: "2200G", name: "most_specific_type_mismatch", className: "data_exception", classCode: "22", kind: "error" },
  "22004": { code: "22004", name: "null_value_not_allowed", className: "data_exception", classCode: "22", kind: "error" },
  "22002": { code: "22002", name: "null_value_no_indicator_parameter", className: "data_exception", classCode: "22", kind: "error" },
  "22003": { code: "22003", name: "numeric_value_out_of_range", className: "data_exception", classCode: "22", kind: "error" },
  "2200H": { code: "2200H", name: "sequence_generator_limit_exceeded", className: "data_exception", classCode: "22", kind: "error" },
  "22026": { code: "22026", name: "string_data_length_mismatch", className: "data_exception", classCode: "22", kind: "error" },
  "22001": { code: "22001", name: "string_data_right_truncation", className: "data_exception", classCode: "22", kind: "error" },
  "22011": { code: "22011", name: "substring_error", className: "data_exception", classCode: "22", kind: "error" },
  "22027": { code: "22027", name: "trim_error", className: "data_exception", classCode: "22", kind: "error" },
  "22024": { code: "22024", name: "unterminated_c_string", className: "data_exception", classCode: "22", kind: "error" },
  "2200F": { code: "2200F", name: "zero_length_character_string", className: "data_exception", classCode: "22", kind: "error" },
  "22P01": { code: "22P01", name: "floating_point_exception", className: "data_exception", classCode: "22", kind: "error" },
  "22P02": { code: "22P02", name: "invalid_text_representation", className: "data_exception", classCode: "22", kind: "error" },
  "22P03": { code: "22P03", name: "invalid_binary_representation", className: "data_exception", classCode: "22", kind: "error" },
  "22P04": { code: "22P04", name: "bad_copy_file_format", className: "data_exception", classCode: "22", kind: "error" },
  "22P05": { code: "22P05", name: "untranslatable_character", className: "data_exception", classCode: "22", kind: "error" },
  "2200L": { code: "2200L", name: "not_an_xml_document", className: "data_exception", classCode: "22", kind: "error" },
  "2200M": { code: "2200M", name: "invalid_xml_document", className: "data_exception", classCode: "22", kind: "error" },
  "2200N": { code: "2200N", name: "invalid_xml_content", className: "data_exception", classCode: "22", kind: "error" },
  "2200S": { code: "2200S", name: "invalid_xml_comment", className: "data_exception", classCode: "22", kind: "error" },
  "2200T": { code: "2200T", name: "invalid_xml_processing_instruction", className: "data_exception", classCode: "22", kind: "error" },
  "22030": { code: "22030", name: "duplicate_json_object_key_value", className: "data_exception", classCode: "22", kind: "error" },
  "22031": { code: "22031", name: "invalid_argument_for_sql_json_datetime_function", className: "data_exception", classCode: "22", kind: "error" },
  "22032": { code: "22032", name: "invalid_json_text", className: "data_exception", classCode: "22", kind: "error" },
  "22033": { code: "22033", name: "invalid_sql_json_subscript", className: "data_exception", classCode: "22", kind: "error" },
  "22034": { code: "22034", name: "more_than_one_sql_json_item", className: "data_exception", classCode: "22", kind: "error" },
  "22035": { code: "22035", name: "no_sql_json_item", className: "data_exception", classCode: "22", kind: "error" },
  "22036": { code: "22036", name: "non_numeric_sql_json_item", className: "data_exception", classCode: "22", kind: "error" },
  "22037": { code: "22037", name: "non_unique_keys_in_a_json_object", className: "data_exception", classCode: "22", kind: "error" },
  "22038": { code: "22038", name: "singleton_sql_json_item_required", className: "data_exception", classCode: "22", kind: "error" },
  "22039": { code: "22039", name: "sql_json_array_not_found", className: "data_exception", classCode: "22", kind: "error" },
  "2203A": { code: "2203A", name: "sql_json_member_not_found", className: "data_exception", classCode: "22", kind: "error" },
  "2203B": { code: "2203B", name: "sql_json_number_not_found", className: "data_exception", classCode: "22", kind: "error" },
  "2203C": { code: "2203C", name: "sql_json_object_not_found", className: "data_exception", classCode: "22", kind: "error" },
  "2203D": { code: "2203D", name: "too_many_json_array_elements", className: "data_exception", classCode: "22", kind: "error" },
  "2203E": { code: "2203E", name: "too_many_json_object_members", className: "data_exception", classCode: "22", kind: "error" },
  "2203F": { code: "2203F", name: "sql_json_scalar_required", className: "data_exception", classCode: "22", kind: "error" },
  "2203G": { code: "2203G", name: "sql_json_item_cannot_be_cast_to_target_type", className: "data_exception", classCode: "22", kind: "error" },
  "23000": { code: "23000", name: "integrity_constraint_violation", className: "integrity_constraint_violation", classCode: "23", kind: "error" },
  "23001": { code: "23001", name: "restrict_violation", className: "integrity_constraint_violation", classCode: "23", kind: "error" },
  "23502": { code: "23502", name: "not_null_violation", className: "integrity_constraint_violation", classCode: "23", kind: "error" },
  "23503": { code: "23503", name: "foreign_key_violation", className: "integrity_constraint_violation", classCode: "23", kind: "error" },
  "23505": { code: "23505", name: "unique_violation", className: "integrity_constraint_violation", classCode: "23", kind: "error" },
  "23514": { code: "23514", name: "check_violation", className: "integrity_constraint_violation", classCode: "23", kind: "error" },
  "23P01": { code: "23P01", name: "exclusion_violation", className: "integrity_constraint_violation", classCode: "23", kind: "error" },
  "24000": { code: "24000", name: "invalid_cursor_state", className: "invalid_cursor_state", classCode: "24", kind: "error" },
  "25000": { code: "25000", name: "invalid_transaction_state", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25001": { code: "25001", name: "active_sql_transaction", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25002": { code: "25002", name: "branch_transaction_already_active", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25008": { code: "25008", name: "held_cursor_requires_same_isolation_level", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25003": { code: "25003", name: "inappropriate_access_mode_for_branch_transaction", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25004": { code: "25004", name: "inappropriate_isolation_level_for_branch_transaction", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25005": { code: "25005", name: "no_active_sql_transaction_for_branch_transaction", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25006": { code: "25006", name: "read_only_sql_transaction", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25007": { code: "25007", name: "schema_and_data_statement_mixing_not_supported", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25P01": { code: "25P01", name: "no_active_sql_transaction", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25P02": { code: "25P02", name: "in_failed_sql_transaction", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25P03": { code: "25P03", name: "idle_in_transaction_session_timeout", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "25P04": { code: "25P04", name: "transaction_timeout", className: "invalid_transaction_state", classCode: "25", kind: "error" },
  "26000": { code: "26000", name: "invalid_sql_statement_name", className: "invalid_sql_statement_name", classCode: "26", kind: "error" },
  "27000": { code: "27000", name: "triggered_data_change_violation", className: "triggered_data_change_violation", classCode: "27", kind: "error" },
  "28000": { code: "28000", name: "invalid_authorization_specification", className: "invalid_authorization_specification", classCode: "28", kind: "error" },
  "28P01": { code: "28P01", name: "invalid_password", className: "invalid_authorization_specification", classCode: "28", kind: "error" },
  "2B000": { code: "2B000", name: "dependent_privilege_descriptors_still_exist", className: "dependent_privilege_descriptors_still_exist", classCode: "2B", kind: "error" },
  "2BP01": { code: "2BP01", name: "dependent_objects_still_exist", className: "dependent_privilege_descriptors_still_exist", classCode: "2B", kind: "error" },
  "2D000": { code: "2D000", name: "invalid_transaction_termination", className: "invalid_transaction_termination", classCode: "2D", kind: "error" },
  "2F000": { code: "2F000", name: "sql_routine_exception", className: "sql_routine_exception", classCode: "2F", kind: "error" },
  "2F005": { code: "2F005", name: "function_executed_no_return_statement", className: "sql_routine_exception", classCode: "2F", kind: "error" },
  "2F002": { code: "2F002", name: "modifying_sql_data_not_permitted", className: "sql_routine_exception", classCode: "2F", kind: "error" },
  "2F003": { code: "2F003", name: "prohibited_sql_statement_attempted", className: "sql_routine_exception", classCode: "2F", kind: "error" },
  "2F004": { code: "2F004", name: "reading_sql_data_not_permitted", className: "sql_routine_exception", classCode: "2F", kind: "error" },
  "34000": { code: "34000", name: "invalid_cursor_name", className: "invalid_cursor_name", classCode: "34", kind: "error" },
  "38000": { code: "38000", name: "external_routine_exception", className: "external_routine_exception", classCode: "38", kind: "error" },
  "38001": { code: "38001", name: "containing_sql_not_permitted", className: "external_routine_exception", classCode: "38", kind: "error" },
  "38002": { code: "38002", name: "modifying_sql_data_not_permitted", className: "external_routine_exception", classCode: "38", kind: "error" },
  "38003": { code: "38003", name: "prohibited_sql_statement_attempted", className: "external_routine_exception", classCode: "38", kind: "error" },
  "38004": { code: "38004", name: "reading_sql_data_not_permitted", className: "external_routine_exception", classCode: "38", kind: "error" },
  "39000": { code: "39000", name: "external_routine_invocation_exception", className: "external_routine_invocation_exception", classCode: "39", kind: "error" },
  "39001": { code: "39001", name: "invalid_sqlstate_returned", className: "external_routine_invocation_exception", classCode: "39", kind: "error" },
  "39004": { code: "39004", name: "null_value_not_allowed", className: "external_routine_invocation_exception", classCode: "39", kind: "error" },
  "39P01": { code: "39P01", name: "trigger_protocol_violated", className: "external_routine_invocation_exception", classCode: "39", kind: "error" },
  "39P02": { code: "39P02", name: "srf_protocol_violated", className: "external_routine_invocation_exception", classCode: "39", kind: "error" },
  "39P03": { code: "39P03", name: "event_trigger_protocol_violated", className: "external_routine_invocation_exception", classCode: "39", kind: "error" },
  "3B000": { code: "3B000", name: "savepoint_exception", className: "savepoint_exception", classCode: "3B", kind: "error" },
  "3B001": { code: "3B001", name: "invalid_savepoint_specification", className: "savepoint_exception", classCode: "3B", kind: "error" },
  "3D000": { code: "3D000", name: "invalid_catalog_name", className: "invalid_catalog_name", classCode: "3D", kind: "error" },
  "3F000": { code: "3F000", name: "invalid_schema_name", className: "invalid_schema_name", classCode: "3F", kind: "error" },
  "40000": { code: "40000", name: "transaction_rollback", className: "transaction_rollback", classCode: "40", kind: "error" },
  "40002": { code: "40002", name: "transaction_integrity_constraint_violation", className: "transaction_rollback", classCode: "40", kind: "error" },
  "40001": { code: "40001", name: "serialization_failure", className: "transaction_rollback", classCode: "40", kind: "error" },
  "40003": { code: "40003", name: "statement_completion_unknown", className: "transaction_rollback", classCode: "40", kind: "error" },
  "40P01": { code: "40P01", name: "deadlock_detected", className: "transaction_rollback", classCode: "40", kind: "error" },
  "42000": { code: "42000", name: "syntax_error_or_access_rule_violation", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42601": { code: "42601", name: "syntax_error", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42501": { code: "42501", name: "insufficient_privilege", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42846": { code: "42846", name: "cannot_coerce", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42803": { code: "42803", name: "grouping_error", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P20": { code: "42P20", name: "windowing_error", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P19": { code: "42P19", name: "invalid_recursion", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42830": { code: "42830", name: "invalid_foreign_key", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42602": { code: "42602", name: "invalid_name", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42622": { code: "42622", name: "name_too_long", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42939": { code: "42939", name: "reserved_name", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42804": { code: "42804", name: "datatype_mismatch", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P18": { code: "42P18", name: "indeterminate_datatype", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P21": { code: "42P21", name: "collation_mismatch", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P22": { code: "42P22", name: "indeterminate_collation", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42809": { code: "42809", name: "wrong_object_type", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "428C9": { code: "428C9", name: "generated_always", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42703": { code: "42703", name: "undefined_column", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42883": { code: "42883", name: "undefined_function", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P01": { code: "42P01", name: "undefined_table", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P02": { code: "42P02", name: "undefined_parameter", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42704": { code: "42704", name: "undefined_object", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42701": { code: "42701", name: "duplicate_column", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P03": { code: "42P03", name: "duplicate_cursor", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P04": { code: "42P04", name: "duplicate_database", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42723": { code: "42723", name: "duplicate_function", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P05": { code: "42P05", name: "duplicate_prepared_statement", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P06": { code: "42P06", name: "duplicate_schema", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P07": { code: "42P07", name: "duplicate_table", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42712": { code: "42712", name: "duplicate_alias", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42710": { code: "42710", name: "duplicate_object", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42702": { code: "42702", name: "ambiguous_column", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42725": { code: "42725", name: "ambiguous_function", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P08": { code: "42P08", name: "ambiguous_parameter", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P09": { code: "42P09", name: "ambiguous_alias", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P10": { code: "42P10", name: "invalid_column_reference", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42611": { code: "42611", name: "invalid_column_definition", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P11": { code: "42P11", name: "invalid_cursor_definition", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P12": { code: "42P12", name: "invalid_database_definition", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P13": { code: "42P13", name: "invalid_function_definition", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P14": { code: "42P14", name: "invalid_prepared_statement_definition", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P15": { code: "42P15", name: "invalid_schema_definition", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P16": { code: "42P16", name: "invalid_table_definition", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "42P17": { code: "42P17", name: "invalid_object_definition", className: "syntax_error_or_access_rule_violation", classCode: "42", kind: "error" },
  "44000": { code: "44000", name: "with_check_option_violation", className: "with_check_option_violation", classCode: "44", kind: "error" },
  "53000": { code: "53000", name: "insufficient_resources", className: "insufficient_resources", classCode: "53", kind: "error" },
  "53100": { code: "53100", name: "disk_full", className: "insufficient_resources", classCode: "53", kind: "error" },
  "53200": { code: "53200", name: "out_of_memory", className: "insufficient_resources", classCode: "53", kind: "error" },
  "53300": { code: "53300", name: "too_many_connections", className: "insufficient_resources", classCode: "53", kind: "error" },
  "53400": { code: "53400", name: "configuration_limit_exceeded", className: "insufficient_resources", classCode: "53", kind: "error" },
  "54000": { code: "54000", name: "program_limit_exceeded", className: "program_limit_exceeded", classCode: "54", kind: "error" },
  "54001": { code: "54001", name: "statement_too_complex", className: "program_limit_exceeded", classCode: "54", kind: "error" },
  "54011": { code: "54011", name: "too_many_columns", className: "program_limit_exceeded", classCode: "54", kind: "error" },
  "54023": { code: "54023", name: "too_many_arguments", className: "program_limit_exceeded", classCode: "54", kind: "error" },
  "55000": { code: "55000", name: "object_not_in_prerequisite_state", className: "object_not_in_prerequisite_state", classCode: "55", kind: "error" },
  "55006": { code: "55006", name: "object_in_use", className: "object_not_in_prerequisite_state", classCode: "55", kind: "error" },
  "55P02": { code: "55P02", name: "cant_change_runtime_param", className: "object_not_in_prerequisite_state", classCode: "55", kind: "error" },
  "55P03": { code: "55P03", name: "lock_not_available", className: "object_not_in_prerequisite_state", classCode: "55", kind: "error" },
  "55P04": { code: "55P04", name: "unsafe_new_enum_value_usage", className: "object_not_in_prerequisite_state", classCode: "55", kind: "error" },
  "57000": { code: "57000", name: "operator_intervention", className: "operator_intervention", classCode: "57", kind: "error" },
  "57014": { code: "57014", name: "query_canceled", className: "operator_intervention", classCode: "57", kind: "error" },
  "57P01": { code: "57P01", name: "admin_shutdown", className: "operator_intervention", classCode: "57", kind: "error" },
  "57P02": { code: "57P02", name: "crash_shutdown", className: "operator_intervention", classCode: "57", kind: "error" },
  "57P03": { code: "57P03", name: "cannot_connect_now", className: "operator_intervention", classCode: "57", kind: "error" },
  "57P04": { code: "57P04", name: "database_dropped", className: "operator_intervention", classCode: "57", kind: "error" },
  "57P05": { code: "57P05", name: "idle_session_timeout", className: "operator_intervention", classCode: "57", kind: "error" },
  "58000": { code: "58000", name: "system_error", className: "system_error", classCode: "58", kind: "error" },
  "58030": { code: "58030", name: "io_error", className: "system_error", classCode: "58", kind: "error" },
  "58P01": { code: "58P01", name: "undefined_file", className: "system_error", classCode: "58", kind: "error" },
  "58P02": { code: "58P02", name: "duplicate_file", className: "system_error", classCode: "58", kind: "error" },
  "58P03": { code: "58P03", name: "file_name_too_long", className: "system_error", classCode: "58", kind: "error" },
  "F0000": { code: "F0000", name: "config_file_error", className: "configuration_file_error", classCode: "F0", kind: "error" },
  "F0001": { code: "F0001", name: "lock_file_exists", className: "configuration_file_error", classCode: "F0", kind: "error" },
  "HV000": { code: "HV000", name: "fdw_error", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV005": { code: "HV005", name: "fdw_column_name_not_found", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV002": { code: "HV002", name: "fdw_dynamic_parameter_value_needed", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV010": { code: "HV010", name: "fdw_function_sequence_error", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV021": { code: "HV021", name: "fdw_inconsistent_descriptor_information", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV024": { code: "HV024", name: "fdw_invalid_attribute_value", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV007": { code: "HV007", name: "fdw_invalid_column_name", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV008": { code: "HV008", name: "fdw_invalid_column_number", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV004": { code: "HV004", name: "fdw_invalid_data_type", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV006": { code: "HV006", name: "fdw_invalid_data_type_descriptors", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV091": { code: "HV091", name: "fdw_invalid_descriptor_field_identifier", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00B": { code: "HV00B", name: "fdw_invalid_handle", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00C": { code: "HV00C", name: "fdw_invalid_option_index", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00D": { code: "HV00D", name: "fdw_invalid_option_name", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV090": { code: "HV090", name: "fdw_invalid_string_length_or_buffer_length", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00A": { code: "HV00A", name: "fdw_invalid_string_format", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV009": { code: "HV009", name: "fdw_invalid_use_of_null_pointer", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV014": { code: "HV014", name: "fdw_too_many_handles", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV001": { code: "HV001", name: "fdw_out_of_memory", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00P": { code: "HV00P", name: "fdw_no_schemas", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00J": { code: "HV00J", name: "fdw_option_name_not_found", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00K": { code: "HV00K", name: "fdw_reply_handle", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00Q": { code: "HV00Q", name: "fdw_schema_not_found", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00R": { code: "HV00R", name: "fdw_table_not_found", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00L": { code: "HV00L", name: "fdw_unable_to_create_execution", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00M": { code: "HV00M", name: "fdw_unable_to_create_reply", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "HV00N": { code: "HV00N", name: "fdw_unable_to_establish_connection", className: "foreign_data_wrapper_error", classCode: "HV", kind: "error" },
  "P0000": { code: "P0000", name: "plpgsql_error", className: "plpgsql_error", classCode: "P0", kind: "error" },
  "P0001": { code: "P0001", name: "raise_exception", className: "plpgsql_error", classCode: "P0", kind: "error" },
  "P0002": { code: "P0002", name: "no_data_found", className: "plpgsql_error", classCode: "P0", kind: "error" },
  "P0003": { code: "P0003", name: "too_many_rows", className: "plpgsql_error", classCode: "P0", kind: "error" },
  "P0004": { code: "P0004", name: "assert_failure", className: "plpgsql_error", classCode: "P0", kind: "error" },
  "XX000": { code: "XX000", name: "internal_error", className: "internal_error", classCode: "XX", kind: "error" },
  "XX001": { code: "XX001", name: "data_corrupted", className: "internal_error", classCode: "XX", kind: "error" },
  "XX002": { code: "XX002", name: "index_corrupted", className: "internal_error", classCode: "XX", kind: "error" },
})

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
