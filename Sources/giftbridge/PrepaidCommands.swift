import ArgumentParser
import Foundation
import GiftbridgeClient

/// Piggy-style prepaid balances of contacts, and the contacts and shops they belong to.
struct Prepaid: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prepaid balances of contacts: book, list, reverse, show.",
        subcommands: [Create.self, List.self, Reverse.self, Balance.self])

    static func describe(_ t: [String: Any]) -> String {
        let amount = (t["amount"] as? [String: Any])?["display"] as? String ?? "?"
        let balance = (t["prepaidBalance"] as? [String: Any])?["display"] as? String ?? "?"
        let contact = (t["contact"] as? [String: Any])?["uuid"] as? String ?? "?"
        let shop = (t["shop"] as? [String: Any])?["name"] as? String ?? "?"
        var s = "\(t["uuid"] ?? "?")  \(amount)  balance \(balance)  contact \(contact)  at \(shop)  \(t["createdAt"] ?? "")"
        if let r = t["reversesUuid"] as? String { s += "  (reverses \(r))" }
        return s
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Book an amount (negative to spend) on a contact's prepaid balance.")
        @OptionGroup var options: ClientOptions
        @Option(help: "The contact's uuid.") var contact: String?
        @Option(help: "The contact's identifier value (a member number), instead of --contact.") var identifier: String?
        @Option(help: "The shop's uuid.") var shop: String
        @Option(help: "Amount, e.g. 5.00, or --amount=-2.50 to spend.") var amount: String
        @Option(help: "Currency of the amount (for its decimals).") var currency: String?
        @Option(help: "Answers a repeated request with the first one's result.") var idempotencyKey: String?

        func validate() throws {
            guard (contact == nil) != (identifier == nil) else { throw ValidationError("give exactly one of --contact and --identifier") }
        }

        func run() throws {
            var b: [String: Any] = ["shopUuid": shop, "amount": try minorUnits(amount, currency: currency, option: "amount")]
            b["contactUuid"] = contact
            b["contactIdentifierValue"] = identifier
            b["idempotencyKey"] = idempotencyKey
            let t = try options.call("POST", "/v1/prepaid/transactions", body: b)
            if !options.json { print(Prepaid.describe(t)) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List prepaid transactions, newest first.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this contact's.") var contact: String?
        @Option(help: "Only this shop's.") var shop: String?
        @Option(help: "Page, from 1.") var page = 1
        @Option(help: "Transactions per page.") var limit = 30

        func run() throws {
            var query = ["page=\(page)", "limit=\(limit)"]
            if let contact { query.append("contactUuid=\(percentEncoded(contact))") }
            if let shop { query.append("shopUuid=\(percentEncoded(shop))") }
            let r = try options.call("GET", "/v1/prepaid/transactions?" + query.joined(separator: "&"))
            guard !options.json else { return }
            let items = r["data"] as? [[String: Any]] ?? []
            if items.isEmpty { print("no prepaid transactions") }
            for t in items { print(Prepaid.describe(t)) }
            if let m = r["meta"] as? [String: Any] {
                print("page \(m["currentPage"] ?? "?") of \(m["lastPage"] ?? "?"), \(m["total"] ?? "?") in all")
            }
        }
    }

    struct Reverse: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reverse a prepaid transaction by its uuid.")
        @OptionGroup var options: ClientOptions
        @Argument var uuid: String
        func run() throws {
            let t = try options.call("POST", "/v1/prepaid/transactions/\(percentEncoded(uuid))/reverse", body: [:])
            if !options.json { print(Prepaid.describe(t)) }
        }
    }

    struct Balance: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a contact's prepaid balance.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The contact's uuid.") var contact: String
        func run() throws {
            let c = try options.call("GET", "/v1/contacts/\(percentEncoded(contact))/prepaid-balance")
            if !options.json { print(Contacts.describe(c)) }
        }
    }
}

struct Contacts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Administer the contacts of the embedded ledger (prepaid balances).", subcommands: [Add.self])

    static func describe(_ c: [String: Any]) -> String {
        let balance = (c["prepaidBalance"] as? [String: Any])?["display"] as? String ?? "?"
        var s = "contact \(c["uuid"] ?? "?")  prepaid balance \(balance)"
        if let v = c["identifierValue"] as? String { s += "  \(c["identifierName"] as? String ?? "identifier") \(v)" }
        return s
    }

    struct Add: ParsableCommand {
        @OptionGroup var options: ClientOptions
        @Option(help: "The contact's uuid (made up when left out).") var uuid: String?
        @Option var email: String?
        @Option(help: "What the identifier is, e.g. 'member number'.") var identifierName: String?
        @Option(help: "The identifier, e.g. MEMBER-0042.") var identifierValue: String?
        @Option(help: "Currency of the prepaid balance.") var currency: String?
        func run() throws {
            var b: [String: Any] = [:]
            b["uuid"] = uuid
            b["email"] = email
            b["identifierName"] = identifierName
            b["identifierValue"] = identifierValue
            b["currency"] = currency
            let c = try options.call("POST", "/v1/contacts", body: b)
            if !options.json { print(Contacts.describe(c)) }
        }
    }
}

struct Shops: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Administer the shops of the embedded ledger.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        @OptionGroup var options: ClientOptions
        @Option(help: "The shop's uuid (made up when left out).") var uuid: String?
        @Option var name: String
        @Option(help: "Your own reference for the shop.") var reference: String?
        func run() throws {
            var b: [String: Any] = ["name": name]
            b["uuid"] = uuid
            b["reference"] = reference
            let s = try options.call("POST", "/v1/shops", body: b)
            if !options.json { print("shop \(s["uuid"] ?? "?")  \(s["name"] ?? "")") }
        }
    }
}

/// A queued print job: its state, or cancel it.
struct PrintJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print-job", abstract: "Show or cancel a queued print job.", subcommands: [Show.self, Cancel.self])

    static func describe(_ j: [String: Any]) -> String {
        var s = "print job \(j["jobId"] ?? "?")  \(j["state"] ?? "?")  \(j["kind"] ?? "")  \(j["attempts"] ?? 0) attempts"
        if let e = j["lastError"] as? String { s += "; last error: \(e)" }
        return s
    }

    struct Show: ParsableCommand {
        @OptionGroup var options: ClientOptions
        @Argument var id: Int
        func run() throws {
            let j = try options.call("GET", "/v1/print/jobs/\(id)")
            if !options.json { print(PrintJobCommand.describe(j)) }
        }
    }

    struct Cancel: ParsableCommand {
        @OptionGroup var options: ClientOptions
        @Argument var id: Int
        func run() throws {
            let j = try options.call("DELETE", "/v1/print/jobs/\(id)")
            if !options.json { print(PrintJobCommand.describe(j)) }
        }
    }
}

/// The daemon's Prometheus metrics, as text.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Print the daemon's metrics (Prometheus text).")
    @OptionGroup var options: ClientOptions
    func run() throws {
        let reply: HTTPReply
        do throws(ClientError) { reply = try options.client.get("/metrics") } catch { fail(error) }
        guard reply.status == 200 else {
            printError("error: HTTP \(reply.status)")
            throw ExitCode(1)
        }
        print(reply.text, terminator: "")
    }
}

/// A path segment or query value, percent-encoded.
func percentEncoded(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
}
