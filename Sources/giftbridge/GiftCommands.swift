import ArgumentParser
import Foundation
import GiftbridgeClient
import Ledger

/// Which card: a number, track 2 data, or the read id of a swipe.
struct CardSelection: ParsableArguments {
    @Option(name: .long, help: "The number printed on the card.")
    var cardNumber: String?

    @Option(name: .long, help: "Track 2 data without sentinels.")
    var track: String?

    @Option(name: .long, help: "The read id of a card.read event (the card just swiped).")
    var readId: String?

    @Option(name: .long, help: "The card's registration code, if the shop checks it.")
    var regCode: String?

    func validate() throws {
        guard [cardNumber, track, readId].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --card-number, --track, --read-id")
        }
    }

    /// Adds `cardInfo` or `readId` to a request body.
    func add(to body: inout [String: Any]) {
        if let readId {
            body["readId"] = readId
            return
        }
        var card: [String: Any] = [:]
        card["printedCardNumber"] = cardNumber
        card["trackInfo"] = track
        card["cardRegCode"] = regCode
        body["cardInfo"] = card
    }
}

/// Who and where, and an idempotency key.
struct OperationOptions: ParsableArguments {
    @Option(name: .long, help: "Currency of the amounts (default: the card's).")
    var currency: String?

    @Option(name: .long, help: "The POS's own id for this request, to reverse it if the answer never comes.")
    var externalId: String?

    @Option(name: .long, help: "Idempotency key: repeating the command with it returns the first answer.")
    var idempotencyKey: String?

    @Option(name: .long) var terminal: String?
    @Option(name: .long) var cashier: String?
    @Option(name: .long) var check: String?

    func add(to body: inout [String: Any]) {
        body["currency"] = currency
        body["externalTransactionId"] = externalId
        body["idempotencyKey"] = idempotencyKey
        body["terminalId"] = terminal
        body["cashier"] = cashier
        body["checkNumber"] = check
    }
}

/// Parses "25.00" exactly into minor units (2 decimals unless the currency says otherwise).
func minorUnits(_ text: String, currency: String?, option: String) throws -> Int64 {
    let c = currency.flatMap { Currency(code: $0) } ?? .eur
    do {
        let m = try Money.parse(text, currency: c)
        return m.minorUnits
    } catch {
        throw ValidationError("--\(option) '\(text)': \(error)")
    }
}

func printTransaction(_ r: [String: Any]) {
    func amount(_ key: String) -> String {
        (r[key] as? [String: Any])?["display"] as? String ?? "?"
    }
    print("\(r["kind"] ?? "?") \(amount("transactionAmount"))  card \(r["maskedCardNumber"] ?? "?")  balance \(amount("previousBalance")) → \(amount("currentBalance"))")
    print("transaction \(r["transactionId"] ?? "?")  auth code \(r["authCode"] ?? "?")")
}

protocol GiftCommandRunner: ParsableCommand {
    var options: ClientOptions { get }
    var path: String { get }
    func body() throws -> [String: Any]
}

extension GiftCommandRunner {
    func run() throws {
        let r = try options.call("POST", path, body: try body())
        if !options.json { printTransaction(r) }
    }
}

struct Sell: GiftCommandRunner {
    static let configuration = CommandConfiguration(abstract: "Sell (activate) a gift card with its first value.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var card: CardSelection
    @OptionGroup var op: OperationOptions
    @Option(name: .long, help: "Amount, e.g. 25.00.") var amount: String
    var path: String { "/v1/gift/sell" }
    func body() throws -> [String: Any] {
        var b: [String: Any] = ["amount": try minorUnits(amount, currency: op.currency, option: "amount")]
        card.add(to: &b)
        op.add(to: &b)
        return b
    }
}

struct Reload: GiftCommandRunner {
    static let configuration = CommandConfiguration(abstract: "Add value to an active gift card.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var card: CardSelection
    @OptionGroup var op: OperationOptions
    @Option(name: .long, help: "Amount, e.g. 10.00.") var amount: String
    var path: String { "/v1/gift/reload" }
    func body() throws -> [String: Any] {
        var b: [String: Any] = ["amount": try minorUnits(amount, currency: op.currency, option: "amount")]
        card.add(to: &b)
        op.add(to: &b)
        return b
    }
}

struct Redeem: GiftCommandRunner {
    static let configuration = CommandConfiguration(abstract: "Take value off a gift card (amount plus tip).")
    @OptionGroup var options: ClientOptions
    @OptionGroup var card: CardSelection
    @OptionGroup var op: OperationOptions
    @Option(name: .long, help: "Amount, e.g. 12.50.") var amount: String
    @Option(name: .long, help: "Tip, e.g. 1.50.") var tip: String?
    var path: String { "/v1/gift/redeem" }
    func body() throws -> [String: Any] {
        var b: [String: Any] = ["amount": try minorUnits(amount, currency: op.currency, option: "amount")]
        if let tip { b["tip"] = try minorUnits(tip, currency: op.currency, option: "tip") }
        card.add(to: &b)
        op.add(to: &b)
        return b
    }
}

struct CashOut: GiftCommandRunner {
    static let configuration = CommandConfiguration(commandName: "cash-out", abstract: "Pay out a card's available balance.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var card: CardSelection
    @OptionGroup var op: OperationOptions
    var path: String { "/v1/gift/cash-out" }
    func body() throws -> [String: Any] {
        var b: [String: Any] = [:]
        card.add(to: &b)
        op.add(to: &b)
        return b
    }
}

struct Exchange: GiftCommandRunner {
    static let configuration = CommandConfiguration(abstract: "Move a card's whole balance to an inactive card and retire the old one.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var card: CardSelection
    @OptionGroup var op: OperationOptions
    @Option(name: .long, help: "The number of the new (inactive) card.") var newCardNumber: String
    var path: String { "/v1/gift/exchange" }
    func body() throws -> [String: Any] {
        var b: [String: Any] = ["newCardInfo": ["printedCardNumber": newCardNumber]]
        card.add(to: &b)
        op.add(to: &b)
        return b
    }
}

struct Reverse: GiftCommandRunner {
    static let configuration = CommandConfiguration(abstract: "Reverse a transaction, by its id or by the external id of a request that timed out.")
    @OptionGroup var options: ClientOptions
    @Option(name: .long) var transactionId: Int64?
    @Option(name: .long) var externalId: String?
    @Flag(name: .long, help: "Piggy's rule: only the card's last transaction.") var lastOnly = false
    @Option(name: .long) var idempotencyKey: String?
    var path: String { "/v1/gift/reverse" }
    func validate() throws {
        guard (transactionId == nil) != (externalId == nil) else { throw ValidationError("give exactly one of --transaction-id, --external-id") }
    }
    func body() throws -> [String: Any] {
        var b: [String: Any] = [:]
        b["transactionId"] = transactionId
        b["externalTransactionId"] = externalId
        if lastOnly { b["lastTransactionOnly"] = true }
        b["idempotencyKey"] = idempotencyKey
        return b
    }
}

struct TransactionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transaction", abstract: "Show a transaction.")
    @OptionGroup var options: ClientOptions
    @Argument var id: Int64
    func run() throws {
        let r = try options.call("GET", "/v1/transactions/\(id)")
        if !options.json { printTransaction(r) }
    }
}

struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: "Reserve funds on a card, then confirm or cancel.",
        subcommands: [Reserve.self, Show.self, Confirm.self, Cancel.self])

    static func describe(_ h: [String: Any]) -> String {
        let amount = (h["amount"] as? [String: Any])?["display"] as? String ?? "?"
        return "hold \(h["id"] ?? "?")  \(h["status"] ?? "?")  \(amount) on \(h["maskedCardNumber"] ?? "?")  expires \(h["expiresAt"] ?? "?")"
    }

    struct Reserve: ParsableCommand {
        @OptionGroup var options: ClientOptions
        @OptionGroup var card: CardSelection
        @Option(name: .long, help: "Amount, e.g. 20.00.") var amount: String
        @Option(name: .long) var currency: String?
        @Option(name: .long, help: "Metadata KEY=VALUE, repeatable.") var meta: [String] = []
        func run() throws {
            var b: [String: Any] = ["amount": try minorUnits(amount, currency: currency, option: "amount")]
            b["currency"] = currency
            var metadata: [String: String] = [:]
            for m in meta {
                guard let eq = m.firstIndex(of: "=") else { throw ValidationError("--meta wants KEY=VALUE") }
                metadata[String(m[..<eq])] = String(m[m.index(after: eq)...])
            }
            if !metadata.isEmpty { b["metadata"] = metadata }
            card.add(to: &b)
            let r = try options.call("POST", "/v1/holds", body: b)
            if !options.json { print(HoldCommand.describe(r)) }
        }
    }

    struct Show: ParsableCommand {
        @OptionGroup var options: ClientOptions
        @Argument var id: String
        func run() throws {
            let r = try options.call("GET", "/v1/holds/\(id)")
            if !options.json { print(HoldCommand.describe(r)) }
        }
    }

    struct Confirm: ParsableCommand {
        @OptionGroup var options: ClientOptions
        @Argument var id: String
        func run() throws {
            let r = try options.call("POST", "/v1/holds/\(id)/confirm", body: [:])
            if !options.json { printTransaction(r) }
        }
    }

    struct Cancel: ParsableCommand {
        @OptionGroup var options: ClientOptions
        @Argument var id: String
        func run() throws {
            let r = try options.call("POST", "/v1/holds/\(id)/cancel", body: [:])
            if !options.json { print(HoldCommand.describe(r)) }
        }
    }
}

struct Cards: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Administer the cards of the embedded ledger.", subcommands: [Add.self, Import.self, Show.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a card (unsold unless a balance is given).")
        @OptionGroup var options: ClientOptions
        @Option(name: .long) var number: String
        @Option(name: .long, help: "Initial balance, e.g. 25.00.") var balance: String?
        @Option(name: .long) var currency: String?
        @Option(name: .long, help: "physical or digital.") var form: String?
        @Option(name: .long, help: "inactive, active or blocked.") var status: String?
        @Option(name: .long, help: "Maximum balance, e.g. 500.00.") var maxBalance: String?
        @Option(name: .long, help: "Last day of use, YYYY-MM-DD.") var expires: String?
        @Option(name: .long) var regCode: String?

        func run() throws {
            let r = try options.call("POST", "/v1/cards", body: try Cards.body(
                number: number, balance: balance, currency: currency, form: form, status: status, maxBalance: maxBalance,
                expires: expires, regCode: regCode))
            if !options.json { print("added \(r["maskedCardNumber"] ?? "?")  \(r["cardStatus"] ?? "?")  balance \(r["currentBalance"] ?? "?") \(r["currency"] ?? "")") }
        }
    }

    static func body(number: String, balance: String?, currency: String?, form: String?, status: String?, maxBalance: String?, expires: String?, regCode: String?) throws -> [String: Any] {
        var b: [String: Any] = ["number": number]
        if let balance { b["balance"] = try minorUnits(balance, currency: currency, option: "balance") }
        if let maxBalance { b["maximumBalance"] = try minorUnits(maxBalance, currency: currency, option: "max-balance") }
        b["currency"] = currency
        b["form"] = form
        b["status"] = status
        b["expiresOn"] = expires
        b["registrationCode"] = regCode
        return b
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add cards from a CSV file.",
            discussion: "Header row required; columns: number (required), balance, currency, form, status, max_balance, expires, reg_code. Every row is tried; failures are listed and the exit code is 1.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The CSV file.") var file: String

        func run() throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                printError("error: cannot read \(file)")
                throw ExitCode(66)
            }
            var lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).map(String.init)
            guard !lines.isEmpty else { throw ValidationError("\(file) is empty") }
            let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            let known: Set<String> = ["number", "balance", "currency", "form", "status", "max_balance", "expires", "reg_code"]
            if let unknown = header.first(where: { !known.contains($0) }) { throw ValidationError("unknown column '\(unknown)'; known: \(known.sorted().joined(separator: ", "))") }
            guard header.contains("number") else { throw ValidationError("the header has no 'number' column") }
            var added = 0
            var failed = 0
            for (i, line) in lines.enumerated() {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                var row: [String: String] = [:]
                for (k, v) in zip(header, cells) where !v.isEmpty { row[k] = v }
                let lineNumber = i + 2
                do {
                    guard let number = row["number"] else { throw ValidationError("no number") }
                    let body = try Cards.body(
                        number: number, balance: row["balance"], currency: row["currency"], form: row["form"], status: row["status"],
                        maxBalance: row["max_balance"], expires: row["expires"], regCode: row["reg_code"])
                    let reply = try options.client.post("/v1/cards", json: Array(try JSONSerialization.data(withJSONObject: body)))
                    if reply.status == 201 {
                        added += 1
                    } else {
                        failed += 1
                        printError("line \(lineNumber): \(reply.apiError?.message ?? "HTTP \(reply.status)")")
                    }
                } catch let e as ClientError {
                    fail(e)
                } catch {
                    failed += 1
                    printError("line \(lineNumber): \(error)")
                }
            }
            print("\(added) added, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a card's state and balance.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var card: CardSelection
        func run() throws {
            var b: [String: Any] = [:]
            card.add(to: &b)
            let r = try options.call("POST", "/v1/gift/balance", body: b)
            guard !options.json else { return }
            print("\(r["maskedCardNumber"] ?? "?")  \(r["cardForm"] ?? "?")  \(r["cardStatus"] ?? "?")")
            print("balance \(r["currentBalance"] ?? "?") \(r["currency"] ?? "")  available \(r["availableBalance"] ?? "?") \(r["currency"] ?? "")")
            if let e = r["expiresOn"] as? String { print("expires \(e)") }
        }
    }
}
