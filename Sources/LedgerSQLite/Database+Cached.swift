import GRDB

/// Statements compiled once per connection and reused (GRDB's statement cache): the ledger runs
/// the same few statements for every operation.
extension Database {
    func cachedExecute(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    func cachedRow(sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func cachedValue<T: DatabaseValueConvertible & StatementColumnConvertible>(_ type: T.Type, sql: String, arguments: StatementArguments = StatementArguments()) throws -> T? {
        try T.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func cachedValues<T: DatabaseValueConvertible & StatementColumnConvertible>(_ type: T.Type, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [T] {
        try T.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }
}
